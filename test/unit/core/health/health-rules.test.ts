import { correlate, isCorrelated } from '../../../../core/health/correlation';
import { groupHealth } from '../../../../core/health/group-health';
import { advanceEvent, openEvent } from '../../../../core/health/health-event';
import { HEALTHY, levelOf } from '../../../../core/health/health-level';
import { hostHealth } from '../../../../core/health/host-signals';
import { decideRemediation } from '../../../../core/health/remediation';
import { suggest } from '../../../../core/health/help-suggest';
import { symptomsIn } from '../../../../core/health/symptom-words';
import { topologyOf } from '../../../../core/health/topology';
import { DEFAULT_TRIGGERS, triggersFor } from '../../../../core/health/triggers';
import { aHost } from '../../fakes/builders';

const NOW = new Date('2026-12-02T04:00:00.000Z');
const red = { level: 'red' as const, score: 0, reasons: ['down'] };

describe('levels and group rules', () => {
  test('when the score falls, it is green from 80, yellow from 40, red below', () => {
    expect([100, 80, 79, 40, 39, 0].map(levelOf)).toEqual(['green', 'green', 'yellow', 'yellow', 'red', 'red']);
  });

  test('when a host has not heartbeated and its port does not answer the probe, it is red with the reason', () => {
    const host = aHost({ lastHeartbeatAt: new Date(NOW.getTime() - 60_000).toISOString() });
    const health = hostHealth({ host, now: NOW, heartbeatTimeoutSeconds: 6, probe: 'refused', copySignals: [] });
    expect(health).toMatchObject({ level: 'red', score: 0 });
    expect(health.reasons[0]).toMatch(/no heartbeat for 60 s and its storage port does not answer/);
  });

  test('when a quiet host could not be probed (the probe function failed), it is red with that reason, not a refusal', () => {
    const host = aHost({ lastHeartbeatAt: new Date(NOW.getTime() - 60_000).toISOString() });
    const health = hostHealth({ host, now: NOW, heartbeatTimeoutSeconds: 6, probe: 'failed', copySignals: [] });
    expect(health).toMatchObject({ level: 'red', score: 0 });
    expect(health.reasons[0]).toBe('no heartbeat for 60 s, and its storage port could not be probed');
  });

  test('when a quiet host still answers the probe, it is yellow, not red', () => {
    const host = aHost({ lastHeartbeatAt: new Date(NOW.getTime() - 60_000).toISOString() });
    expect(hostHealth({ host, now: NOW, heartbeatTimeoutSeconds: 6, probe: 'answered', copySignals: [] }).level).toBe('yellow');
  });

  test('when a copy daemon died and a mirror is stale, the host loses points for each', () => {
    const health = hostHealth({
      host: aHost({ lastHeartbeatAt: NOW.toISOString() }),
      now: NOW,
      heartbeatTimeoutSeconds: 6,
      probe: 'skipped',
      copySignals: [{ volumeId: 'v', copyId: 'c', kind: 'daemon-died' }, { volumeId: 'w', copyId: 'd', kind: 'replica-stale' }],
    });
    expect(health).toMatchObject({ level: 'yellow', score: 60 });
  });

  test('when the agent reports its host degraded for a read-only disk it also reports failed, the host is yellow: one fact, counted once', () => {
    const host = aHost({ lastHeartbeatAt: NOW.toISOString(), health: 'degraded', disks: [{ deviceId: 'sdb', type: 'hdd', health: 'failed' }, { deviceId: 'sda', type: 'ssd', health: 'ok' }] });
    const health = hostHealth({ host, now: NOW, heartbeatTimeoutSeconds: 6, probe: 'skipped', copySignals: [] });
    expect(health).toMatchObject({ level: 'yellow', score: 60, reasons: ['disk sdb failed'] });
  });

  test('when every disk of a host failed, the host is red; when the agent reports it failing, that counts over one failed disk', () => {
    const failed = (deviceId: string) => ({ deviceId, type: 'ssd' as const, health: 'failed' });
    const of = (overrides: Parameters<typeof aHost>[0]) => hostHealth({ host: aHost({ lastHeartbeatAt: NOW.toISOString(), ...overrides }), now: NOW, heartbeatTimeoutSeconds: 6, probe: 'skipped', copySignals: [] });
    expect(of({ health: 'degraded', disks: [failed('sda'), failed('sdb')] })).toMatchObject({ level: 'red', score: 20 });
    expect(of({ health: 'failing', disks: [failed('sda')] })).toMatchObject({ level: 'red', score: 30, reasons: ['the agent reports the host failing'] });
  });

  test('when one of three hosts of a rack is red, the rack is yellow; when two are, it is red', () => {
    const members = (reds: number) => ['a', 'b', 'c'].map((id, i) => ({ componentId: `host:${id}`, health: i < reds ? red : HEALTHY }));
    expect(groupHealth('rack:z.r', members(0)).level).toBe('green');
    expect(groupHealth('rack:z.r', members(1)).level).toBe('yellow');
    expect(groupHealth('rack:z.r', members(2)).level).toBe('red');
  });

  test('when hosts name racks, the topology groups disk → host → rack → zone', () => {
    const topology = topologyOf([aHost({ hostId: 'h-1', rack: 'r1', disks: [{ deviceId: 'sda', type: 'ssd', health: 'ok' }] }), aHost({ hostId: 'h-2' })]);
    expect(topology.map((c) => `${c.componentId}<${c.parentId ?? ''}`)).toEqual([
      'disk:h-1.sda<host:h-1', 'host:h-1<rack:zone-a.r1', 'host:h-2<rack:zone-a.default', 'rack:zone-a.r1<zone:zone-a', 'rack:zone-a.default<zone:zone-a', 'zone:zone-a<',
    ]);
  });
});

describe('correlation', () => {
  const candidate = (level: 'green' | 'yellow' | 'red') => [{ componentId: 'host:h-1', volumeIds: ['vol-00000000000000001'], hostIds: ['h-1'], worstLevelInWindow: level }];

  test('when the component was green in the window, even a comment naming its volume and a symptom stays noise', () => {
    const correlations = correlate('my volume is slow, I/O errors', 'vol-00000000000000001', 30, candidate('green'));
    expect(correlations[0].score).toBe(0.5);
    expect(isCorrelated(correlations)).toBe(false);
  });

  test('when the component was yellow and the text names a symptom, the comment correlates with its reasons', () => {
    const [correlation] = correlate('reads time out', undefined, 30, candidate('yellow'));
    expect(correlation).toEqual({ componentId: 'host:h-1', score: 0.75, reasons: [expect.stringMatching(/yellow within the last 30 min/), 'the text names timeout', expect.stringMatching(/depend on host:h-1/)] });
  });

  test('when the text is still being typed, a symptom matches only once its word is there', () => {
    expect(symptomsIn('my volume is sl')).toEqual([]);
    expect(symptomsIn('my volume is slow')).toEqual(['latency']);
  });
});

describe('triggers, events and flapping', () => {
  const trigger = triggersFor({ componentId: 'host:h-1', level: 'red', healthReasons: ['down'], correlatedScores: [] }, DEFAULT_TRIGGERS)[0];
  const dependents = [{ volumeId: 'vol-a', tenantId: 'T1' }];
  const observe = (level: 'green' | 'red', at: number, close = 60) => ({
    level, triggers: level === 'red' ? [trigger] : [], dependents, formerDependents: [], closeAfterGreenSeconds: close, now: new Date(NOW.getTime() + at * 1000),
  });

  test('when three correlated comments arrive on a yellow component, the comments trigger fires', () => {
    expect(triggersFor({ componentId: 'host:h-1', level: 'yellow', healthReasons: [], correlatedScores: [0.75, 0.75] }, DEFAULT_TRIGGERS)).toEqual([]);
    expect(triggersFor({ componentId: 'host:h-1', level: 'yellow', healthReasons: [], correlatedScores: [0.75, 0.75, 0.8] }, DEFAULT_TRIGGERS).map((t) => t.kind)).toEqual(['correlated-comments']);
  });

  test('when the component is green again, its comments no longer fire, so their event can close and no new one opens', () => {
    const comments = { componentId: 'host:h-1', healthReasons: [], correlatedScores: [0.75, 0.75, 0.8, 0.95] };
    expect(triggersFor({ ...comments, level: 'yellow' }, DEFAULT_TRIGGERS).map((t) => t.kind)).toEqual(['correlated-comments', 'correlation-score']);
    expect(triggersFor({ ...comments, level: 'green' }, DEFAULT_TRIGGERS)).toEqual([]);
  });

  test('when a component goes red, green and red again before the close delay, it stays one event with one IMPAIRED change and a flap', () => {
    let event = openEvent('host:h-1', 'zone-a', 'red', trigger, NOW);
    const first = advanceEvent(event, observe('red', 0));
    expect(first.changes.map((c) => c.statusCode)).toEqual(['IMPAIRED']);
    event = first.event;
    for (const [level, at] of [['green', 10], ['red', 20], ['green', 30]] as const) {
      const step = advanceEvent(event, observe(level, at));
      expect(step.changes).toEqual([]);
      event = step.event;
    }
    expect(event).toMatchObject({ statusCode: 'open', flaps: 1 });
    const closed = advanceEvent(event, observe('green', 95));
    expect(closed.event).toMatchObject({ statusCode: 'closed', endTime: expect.any(String) });
    expect(closed.changes).toEqual([expect.objectContaining({ entityValue: 'vol-a', statusCode: 'RESOLVED' })]);
  });

  test('when a volume no longer depends on the component (its copy moved), it becomes UNIMPAIRED', () => {
    const { event } = advanceEvent(openEvent('host:h-1', 'zone-a', 'red', trigger, NOW), observe('red', 0));
    const moved = advanceEvent(event, { ...observe('red', 5), dependents: [] });
    expect(moved.changes).toEqual([expect.objectContaining({ entityValue: 'vol-a', statusCode: 'UNIMPAIRED' })]);
  });

  test('when a fail-over moved a copy off the red host before the event saw it, the volume is IMPAIRED once, then UNIMPAIRED, then RESOLVED', () => {
    const former = { ...observe('red', 0), dependents: [], formerDependents: [{ volumeId: 'vol-a', tenantId: 'T1' }] };
    const first = advanceEvent(openEvent('host:h-1', 'zone-a', 'red', trigger, NOW), former);
    expect(first.changes).toEqual([expect.objectContaining({ entityValue: 'vol-a', tenantId: 'T1', statusCode: 'IMPAIRED' })]);
    const second = advanceEvent(first.event, { ...former, now: new Date(NOW.getTime() + 5_000) });
    expect(second.changes).toEqual([expect.objectContaining({ entityValue: 'vol-a', statusCode: 'UNIMPAIRED' })]);
    expect(advanceEvent(second.event, { ...former, now: new Date(NOW.getTime() + 10_000) }).changes).toEqual([]);
    const green = advanceEvent(second.event, { ...observe('green', 20, 0), dependents: [], formerDependents: [{ volumeId: 'vol-a', tenantId: 'T1' }] });
    expect(green.changes).toEqual([expect.objectContaining({ entityValue: 'vol-a', statusCode: 'RESOLVED' })]);
  });
});

describe('remediation and the help box', () => {
  test('when the component is red, the setting decides; quiet hours turn a move into a recommendation', () => {
    expect(decideRemediation({ onComponentRed: 'move' }, { red: true, correlatedComments: 0, now: NOW }).action).toBe('move');
    expect(decideRemediation({ onComponentRed: 'move', quietHours: { startHour: 3, endHour: 6 } }, { red: true, correlatedComments: 0, now: NOW }).action).toBe('recommend');
    expect(decideRemediation({ onComponentRed: 'move' }, { red: false, correlatedComments: 5, now: NOW }).action).toBe('none');
    expect(decideRemediation({ onComponentRed: 'move', afterCorrelatedComments: 3 }, { red: false, correlatedComments: 3, now: NOW }).action).toBe('move');
  });

  test("when the customer types about a slow volume, the open event on that volume's host is suggested; other text gets nothing", () => {
    const { event } = advanceEvent(openEvent('host:h-1', 'zone-a', 'red', { kind: 'health', componentId: 'host:h-1', reasons: ['down'] }, NOW), {
      level: 'red', triggers: [], dependents: [{ volumeId: 'vol-a', tenantId: 'T1' }], formerDependents: [], closeAfterGreenSeconds: 60, now: NOW,
    });
    expect(suggest({ text: 'my volume is' }, [event], 'T1', () => undefined)).toHaveLength(1);
    expect(suggest({ text: 'hello th' }, [event], 'T1', () => undefined)).toEqual([]);
    expect(suggest({ text: 'my volume is slow' }, [event], 'T2', () => undefined)).toEqual([]);
  });
});
