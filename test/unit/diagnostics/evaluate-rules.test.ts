import { RuleEvaluator } from '../../../core/diagnostics/evaluate-rules';
import type { Facts } from '../../../core/diagnostics/facts';
import { LogIndex } from '../../../core/diagnostics/log-index';
import { requiredLiteral } from '../../../core/diagnostics/required-literal';
import { RuleSchema, type Check } from '../../../core/diagnostics/rule';
import { compareVersions } from '../../../core/diagnostics/version';

const facts = (values: Record<string, number | string | boolean | string[]>, logs: { kernel?: string; system?: string } = {}): Facts => ({
  values: new Map(Object.entries(values)),
  logs: new Map(Object.entries(logs)) as Facts['logs'],
  collectedAt: new Date('2026-12-01T12:00:00Z'),
  source: 'instance',
});

function outcome(when: Check, input: Facts) {
  const rule = RuleSchema.parse({ id: 'test-rule', title: 't', severity: 'low', cause: 'c', when, solutions: [{ title: 's', steps: ['x'] }] });
  return new RuleEvaluator([rule]).evaluate(input)[0];
}

describe('rule evaluation', () => {
  it('three-valued: a missing fact is unknown, unless the combination is decided without it', () => {
    const missing = { fact: 'df.maxUsedPercent', range: { min: 90 } } as const;
    const yes = { fact: 'time.synchronized', equals: false } as const;
    const no = { fact: 'time.synchronized', equals: true } as const;
    const input = facts({ 'time.synchronized': false });
    expect(outcome(missing, input)).toMatchObject({ outcome: 'insufficient-evidence', missing: ['df.maxUsedPercent'] });
    expect(outcome({ any: [missing, yes] }, input).outcome).toBe('matched');
    expect(outcome({ all: [missing, no] }, input).outcome).toBe('clear');
    expect(outcome({ all: [missing, yes] }, input).outcome).toBe('insufficient-evidence');
    expect(outcome({ not: missing }, input).outcome).toBe('insufficient-evidence');
    expect(outcome({ not: no }, input).outcome).toBe('matched');
  });

  it('log checks count matching lines inside the window before collection; lines without a time do not count in a window', () => {
    const kernel = [
      '[Tue Dec  1 11:59:00 2026] nvme nvme0: I/O 1 QID 2 timeout, aborting',
      '[Tue Dec  1 11:58:00 2026] nvme nvme0: I/O 2 QID 2 timeout, aborting',
      '[Mon Nov 30 01:00:00 2026] nvme nvme0: I/O 3 QID 2 timeout, aborting',
      'nvme nvme0: I/O 4 QID 2 timeout, aborting',
    ].join('\n');
    const check = (minCount: number, withinMinutes?: number): Check => ({ log: 'kernel', regex: 'nvme\\d+: I/O \\d+ QID \\d+ timeout', minCount, withinMinutes });
    expect(outcome(check(2, 60), facts({}, { kernel })).outcome).toBe('matched');
    expect(outcome(check(3, 60), facts({}, { kernel })).outcome).toBe('clear');
    expect(outcome(check(4), facts({}, { kernel })).outcome).toBe('matched');
    expect(outcome(check(1), facts({}, { system: 'x' })).outcome).toBe('insufficient-evidence');
    expect(outcome({ log: 'any', regex: 'QID', minCount: 5 }, facts({}, { kernel, system: 'kernel: QID' })).outcome).toBe('matched');
  });

  it('case: the prefilter folds ASCII case, the regex decides', () => {
    expect(outcome({ log: 'kernel', regex: 'Kernel panic' }, facts({}, { kernel: 'KERNEL PANIC' })).outcome).toBe('clear');
    expect(outcome({ log: 'kernel', regex: 'Kernel panic', ignoreCase: true }, facts({}, { kernel: 'KERNEL PANIC' })).outcome).toBe('matched');
  });

  it('version ranges, against a constant or another fact', () => {
    expect(compareVersions('5.10.0', '5.9')).toBeGreaterThan(0);
    expect(compareVersions('0.1', '0.1.0')).toBe(0);
    const input = facts({ 'agent.agentVersion': '0.0.9', 'fleet.agentVersion': '0.1.0' });
    expect(outcome({ fact: 'agent.agentVersion', version: { belowFact: 'fleet.agentVersion' } }, input).outcome).toBe('matched');
    expect(outcome({ fact: 'agent.agentVersion', version: { min: '0.1' } }, input).outcome).toBe('clear');
  });

  it('refuses invalid rules: a bad regex, an empty range, an unknown key', () => {
    const base = { id: 'test-rule', title: 't', severity: 'low', cause: 'c', solutions: [{ title: 's', steps: ['x'] }] };
    expect(RuleSchema.safeParse({ ...base, when: { log: 'kernel', regex: '(' } }).success).toBe(false);
    expect(RuleSchema.safeParse({ ...base, when: { fact: 'df.maxUsedPercent', range: {} } }).success).toBe(false);
    expect(RuleSchema.safeParse({ ...base, when: { fact: 'df.maxUsedPercent', present: true, extra: 1 } }).success).toBe(false);
    expect(RuleSchema.safeParse({ ...base, severity: 'urgent', when: { fact: 'df.maxUsedPercent', present: true } }).success).toBe(false);
  });
});

describe('the log prefilter', () => {
  it('takes the longest literal every match must contain, and none where alternation or optional parts make it unsafe', () => {
    expect(requiredLiteral('Out of memory: Killed process \\d+')).toBe('out of memory: killed process ');
    expect(requiredLiteral('XFS \\([^)]+\\): (Corruption|Internal error)')).toBe('xfs (');
    expect(requiredLiteral('errors?')).toBe('error');
    expect(requiredLiteral('ab?')).toBe(undefined);
    expect(requiredLiteral('I/O errors? on dev')).toBe('i/o error');
    expect(requiredLiteral('foo|bar baz')).toBe(undefined);
    expect(requiredLiteral('a{2}bcd')).toBe('bcd');
  });

  it('finds the lines holding each literal in one pass, case-folded, each line once', () => {
    const index = new LogIndex('alpha beta\nBETA beta\ngamma\n\u00e9beta', ['beta', 'gamma', 'delta']);
    expect(index.linesWith('beta')).toEqual([0, 1, 3]);
    expect(index.linesWith('gamma')).toEqual([2]);
    expect(index.linesWith('delta')).toEqual([]);
    expect(index.line(3)).toBe('\u00e9beta');
    expect(index.lineCount).toBe(4);
  });
});
