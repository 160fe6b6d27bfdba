import { alarmsToRaise, DEFAULT_ALARM_CONFIG } from '../../../../core/audit/alarms';
import type { Assertion } from '../../../../core/audit/assertion';
import { evaluate, verdictOf } from '../../../../core/audit/evaluation';
import type { Clause } from '../../../../core/audit/spec';

const clause = (id: string, extra: Partial<Clause> = {}): Clause => ({
  id, title: id, componentType: 'volume-copy', property: 'copy.p', observe: 'o', check: { kind: 'equals', value: true },
  severity: 'durability', deadlineSeconds: 60, rationale: 'r', ...extra,
});
const asOf = new Date('2026-12-02T01:00:00Z');
const secondsAgo = (seconds: number) => new Date(asOf.getTime() - seconds * 1000).toISOString();
const assertion = (componentId: string, clauseId: string, extra: Partial<Assertion> = {}): Assertion => ({
  componentId, componentType: 'volume-copy', clauseId, specVersion: 2, result: 'PASS', observed: true, expected: 'equals true', at: secondsAgo(10), ...extra,
});
const spec = { version: 2, clauses: [clause('copy-a'), clause('copy-b', { severity: 'security' })] };

describe('evaluate', () => {
  it('when every component asserted in time, it is PASS per (component, clause)', () => {
    const statuses = evaluate({ spec, latest: [assertion('c1', 'copy-a'), assertion('c1', 'copy-b')], asOf });
    expect(statuses.map((s) => [s.componentId, s.clauseId, s.state, s.drift])).toEqual([['c1', 'copy-a', 'PASS', false], ['c1', 'copy-b', 'PASS', false]]);
  });

  it('when the last assertion is older than the deadline, it is SILENT with the old values kept', () => {
    // Pins: a component that stopped reporting is a finding, not an absence.
    const statuses = evaluate({ spec, latest: [assertion('c1', 'copy-a', { at: secondsAgo(61), result: 'FAIL' })], asOf });
    expect(statuses.find((s) => s.clauseId === 'copy-a')).toMatchObject({ state: 'SILENT', at: secondsAgo(61) });
    expect(statuses.find((s) => s.clauseId === 'copy-b')).toMatchObject({ state: 'SILENT' });
    expect(statuses.find((s) => s.clauseId === 'copy-b')?.at).toBeUndefined();
  });

  it('when an inventoried component never asserted, it is SILENT', () => {
    const statuses = evaluate({ spec, latest: [], inventory: [{ componentId: 'c9', componentType: 'volume-copy' }], asOf });
    expect(statuses.map((s) => s.state)).toEqual(['SILENT', 'SILENT']);
  });

  it('when a component asserted against an older version, it flags drift', () => {
    const statuses = evaluate({ spec, latest: [assertion('c1', 'copy-a', { specVersion: 1 })], asOf });
    expect(statuses.find((s) => s.clauseId === 'copy-a')).toMatchObject({ state: 'PASS', drift: true, specVersion: 1 });
  });

  it('when a FAIL is waived, it is WAIVED until the waiver expires, then FAIL again', () => {
    const latest = [assertion('c1', 'copy-a', { result: 'FAIL', observed: false })];
    const waivers = [{ componentId: 'c1', clauseId: 'copy-a', until: '2026-12-02T01:30:00Z', reason: 'known', author: 'op', createdAt: secondsAgo(5) }];
    expect(evaluate({ spec, latest, waivers, asOf })[0]).toMatchObject({ state: 'WAIVED', waiver: waivers[0] });
    const later = new Date('2026-12-02T01:30:00Z');
    const expired = evaluate({ spec, latest: [{ ...latest[0], at: '2026-12-02T01:29:50Z' }], waivers, asOf: later });
    expect(expired[0].state).toBe('FAIL');
  });

  it('when the verdict of a clause is asked, failing wins over silent over compliant, and no component is unknown', () => {
    const statuses = evaluate({ spec, latest: [assertion('c1', 'copy-a'), assertion('c2', 'copy-a', { at: secondsAgo(100) })], asOf });
    expect(verdictOf(statuses.filter((s) => s.clauseId === 'copy-a'))).toBe('silent');
    expect(verdictOf([])).toBe('unknown');
  });
});

describe('alarmsToRaise', () => {
  it('when a security clause fails once, it raises one alarm, and not again while its key is recent', () => {
    const statuses = evaluate({ spec, latest: [assertion('c1', 'copy-b', { result: 'FAIL', observed: false })], asOf });
    const alarms = alarmsToRaise(statuses, { ...DEFAULT_ALARM_CONFIG, threshold: null }, new Set());
    expect(alarms.map((a) => [a.kind, a.clauseId, a.componentIds])).toEqual([['security-failure', 'copy-b', ['c1']]]);
    expect(alarmsToRaise(statuses, { ...DEFAULT_ALARM_CONFIG, threshold: null }, new Set([alarms[0].alarmKey]))).toEqual([]);
  });

  it('when enough components of a clause fail or are silent, it raises a threshold alarm', () => {
    const latest = Array.from({ length: 20 }, (_, i) => assertion(`c${i}`, 'copy-a', i < 2 ? { result: 'FAIL' } : {}));
    const statuses = evaluate({ spec: { version: 2, clauses: [clause('copy-a')] }, latest, asOf });
    const config = { securityFailures: true, threshold: { percent: 10, minComponents: 2 }, repeatAfterMinutes: 60 };
    expect(alarmsToRaise(statuses, config, new Set()).map((a) => [a.kind, a.componentIds.length])).toEqual([['threshold', 2]]);
    expect(alarmsToRaise(statuses, { ...config, threshold: { percent: 11, minComponents: 2 } }, new Set())).toEqual([]);
  });
});
