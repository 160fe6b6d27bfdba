import { judge } from '../../../../core/audit/check';

describe('judge', () => {
  it.each([
    [{ kind: 'equals', value: '0600' }, '0600', 'PASS'],
    [{ kind: 'equals', value: '0600' }, '0644', 'FAIL'],
    [{ kind: 'equals', value: true }, 'true', 'FAIL'],
    [{ kind: 'range', min: 2 }, 2, 'PASS'],
    [{ kind: 'range', min: 2, max: 3 }, 4, 'FAIL'],
    [{ kind: 'range', max: 3 }, 'x', 'FAIL'],
    [{ kind: 'set', values: ['0.1.0', '0.2.0'] }, '0.2.0', 'PASS'],
    [{ kind: 'set', values: ['0.1.0'] }, '0.0.9', 'FAIL'],
    [{ kind: 'includes', values: ['rw', 'noatime'] }, ['rw', 'relatime', 'noatime'], 'PASS'],
    [{ kind: 'includes', values: ['rw', 'noatime'] }, ['rw', 'relatime'], 'FAIL'],
    [{ kind: 'includes', values: ['rw'] }, 'rw', 'FAIL'],
    [{ kind: 'regex', pattern: '^7\\.2\\.' }, '7.2.22', 'PASS'],
    [{ kind: 'regex', pattern: '^7\\.2\\.' }, 7.2, 'FAIL'],
    [{ kind: 'present' }, 'x', 'PASS'],
    [{ kind: 'present' }, [], 'FAIL'],
    [{ kind: 'present' }, null, 'FAIL'],
  ] as const)('when %j observes %j, it answers %s', (check, observed, result) => {
    expect(judge(check as never, { observed }).result).toBe(result);
  });

  it('when the check names a committed value, it compares with the component\'s and says which', () => {
    const check = { kind: 'equals-committed', field: 'committedIops' } as const;
    expect(judge(check, { observed: 300, committed: { committedIops: 300 } })).toEqual({ result: 'PASS', expected: 'equals 300 (committed committedIops)' });
    expect(judge(check, { observed: 100, committed: { committedIops: 300 } }).result).toBe('FAIL');
    expect(judge(check, { observed: 100 })).toEqual({ result: 'FAIL', expected: 'equals committed committedIops (unknown)' });
  });
});
