import { SpecChangeRefusedError } from '../../../../core/audit/errors';
import type { Clause } from '../../../../core/audit/spec';
import { nextSpecVersion } from '../../../../core/audit/spec-changes';
import { diffSpecs } from '../../../../core/audit/spec-diff';

const clause = (id: string, extra: Partial<Clause> = {}): Clause => ({
  id, title: id, componentType: 'volume-copy', property: 'copy.p', observe: 'o', check: { kind: 'equals', value: true },
  severity: 'durability', deadlineSeconds: 60, rationale: 'r', ...extra,
});
const request = (changes: Parameters<typeof nextSpecVersion>[1]['changes']) => ({ changes, reason: 'why', author: 'arn:op', at: '2026-12-02T00:00:00Z' });

describe('nextSpecVersion', () => {
  it('when there is no version, it makes version 1 with the author, time and change log', () => {
    const v1 = nextSpecVersion(undefined, request([{ op: 'add', clause: clause('aaa') }]));
    expect(v1).toEqual({ version: 1, clauses: [clause('aaa')], author: 'arn:op', createdAt: '2026-12-02T00:00:00Z', reason: 'why', changes: [{ op: 'add', clause: clause('aaa') }] });
  });

  it('when changes add, modify and remove, it applies them in order and leaves the old version as it was', () => {
    // Given
    const v1 = nextSpecVersion(undefined, request([{ op: 'add', clause: clause('aaa') }, { op: 'add', clause: clause('bbb') }]));
    const frozen = JSON.stringify(v1);
    // When
    const v2 = nextSpecVersion(v1, request([{ op: 'modify', clause: clause('aaa', { deadlineSeconds: 30 }) }, { op: 'remove', clauseId: 'bbb' }, { op: 'add', clause: clause('ccc') }]));
    // Then
    expect(v2.version).toBe(2);
    expect(v2.clauses.map((c) => [c.id, c.deadlineSeconds])).toEqual([['aaa', 30], ['ccc', 60]]);
    expect(JSON.stringify(v1)).toBe(frozen);
  });

  it.each([
    ['adds an existing clause', [{ op: 'add', clause: clause('aaa') }]],
    ['removes a missing clause', [{ op: 'remove', clauseId: 'zzz' }]],
    ['modifies a missing clause', [{ op: 'modify', clause: clause('zzz') }]],
    ['modifies nothing', [{ op: 'modify', clause: clause('aaa') }]],
    ['has no changes', []],
  ] as const)('when a request %s, it is refused', (_, changes) => {
    const v1 = nextSpecVersion(undefined, request([{ op: 'add', clause: clause('aaa') }]));
    expect(() => nextSpecVersion(v1, request(changes as never))).toThrow(SpecChangeRefusedError);
  });
});

describe('diffSpecs', () => {
  it('when clauses were added, removed and modified, it names each and the fields that changed', () => {
    const from = { version: 1, clauses: [clause('aaa'), clause('bbb')] };
    const to = { version: 2, clauses: [clause('aaa', { severity: 'security', deadlineSeconds: 30 }), clause('ccc')] };
    const diff = diffSpecs(from, to);
    expect(diff.added.map((c) => c.id)).toEqual(['ccc']);
    expect(diff.removed.map((c) => c.id)).toEqual(['bbb']);
    expect(diff.modified.map((m) => [m.clauseId, m.fields])).toEqual([['aaa', ['deadlineSeconds', 'severity']]]);
    expect(diffSpecs(to, from).added.map((c) => c.id)).toEqual(['bbb']);
  });
});
