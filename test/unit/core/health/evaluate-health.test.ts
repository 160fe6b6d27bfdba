import { evaluateHealth, type EvaluateHealthDeps } from '../../../../core/health/use-cases/evaluate-health';
import { postComment } from '../../../../core/health/use-cases/post-comment';
import type { Notice } from '../../../../core/health/health-event';
import { NOTICE_CLAIM_SECONDS } from '../../../../core/health/notice-outbox';
import { DEFAULT_TRIGGERS } from '../../../../core/health/triggers';
import type { Host } from '../../../../core/host';
import { aHost } from '../../fakes/builders';
import { InMemoryHealthStore } from '../../fakes/in-memory-health-store';

const NOW = new Date('2026-12-02T04:00:00.000Z');
const fresh = NOW.toISOString();
const dead = new Date(NOW.getTime() - 120_000).toISOString();
/** Tenant T1 has vol-1 on h-1 and h-2, T2 has vol-2 on h-2 and h-3, T3 has vol-3 on h-1 and h-3. */
const copies: Record<string, { volumeId: string; tenantId: string }[]> = {
  'h-1': [{ volumeId: 'vol-1', tenantId: 'T1' }, { volumeId: 'vol-3', tenantId: 'T3' }],
  'h-2': [{ volumeId: 'vol-1', tenantId: 'T1' }, { volumeId: 'vol-2', tenantId: 'T2' }],
  'h-3': [{ volumeId: 'vol-2', tenantId: 'T2' }, { volumeId: 'vol-3', tenantId: 'T3' }],
};

type Formers = Record<string, { volumeId: string; tenantId: string; goneAt: string }[]>;

/** `formers`: copies that left a host (a fail-over released their reservations), per host; `gone`: the volumes no longer on it. */
function setUp(formers: Formers = {}) {
  const store = new InMemoryHealthStore();
  const delivered: Notice[] = [];
  /** `bus.down`: every delivery throws (the health bus or the webhook queue refusing). */
  const bus = { down: false };
  /** The evaluators' clock; `clock.advance` moves it (every pass reads it once). */
  let at = NOW;
  const clock = { now: () => at, advance: (seconds: number) => void (at = new Date(at.getTime() + seconds * 1000)) };
  const moves: string[] = [];
  const deps: EvaluateHealthDeps = {
    store,
    dependencies: {
      dependentsOf: async (hostId) => (copies[hostId] ?? []).filter((c) => !(formers[hostId] ?? []).some((f) => f.volumeId === c.volumeId)).map((c) => ({ ...c, type: 'ssd' as const })),
      formerDependentsOf: async (hostId) => formers[hostId] ?? [],
      volumesOfTenant: async (tenantId) => {
        const byVolume = new Map<string, string[]>();
        for (const [hostId, list] of Object.entries(copies)) for (const c of list) if (c.tenantId === tenantId) byVolume.set(c.volumeId, [...(byVolume.get(c.volumeId) ?? []), hostId]);
        return [...byVolume].map(([volumeId, hostIds]) => ({ volumeId, type: 'ssd' as const, hostIds }));
      },
    },
    signals: { signalsOf: async () => [] },
    probe: { probe: async () => 'refused' },
    delivery: {
      deliver: async (notice) => {
        if (bus.down) throw new Error('the health bus is unavailable');
        delivered.push(notice);
      },
    },
    mover: { moveOff: async (_tenant, volumeId) => { moves.push(volumeId); return 'mod-0000000001-00000001'; } },
    triggers: { ...DEFAULT_TRIGGERS, closeAfterGreenSeconds: 0 },
    heartbeatTimeoutSeconds: 6,
    now: clock.now,
  };
  return { store, deps, delivered, moves, bus, clock };
}
/** The fleet as seen at `now`: h-1 silent for 120 s, h-2 and h-3 heartbeating. */
const fleetWithH1DeadAt = (now: Date): Host[] => [
  aHost({ hostId: 'h-1', lastHeartbeatAt: new Date(now.getTime() - 120_000).toISOString() }),
  aHost({ hostId: 'h-2', lastHeartbeatAt: now.toISOString() }),
  aHost({ hostId: 'h-3', lastHeartbeatAt: now.toISOString() }),
];
const keysOf = (notices: readonly Notice[]) => notices.map((n) => `${n.tenantId}:${n.volumeId}:${n.statusCode}`).sort();
const fleet = (h1: Partial<Host> = {}): Host[] => [
  aHost({ hostId: 'h-1', lastHeartbeatAt: fresh, ...h1 }),
  aHost({ hostId: 'h-2', lastHeartbeatAt: fresh }),
  aHost({ hostId: 'h-3', lastHeartbeatAt: fresh }),
];

test('when a host dies, it turns red and only the tenants with copies on it get one notice each, even with concurrent and repeated evaluations', async () => {
  // Given
  const { store, deps, delivered } = setUp();
  await evaluateHealth(deps, fleet());
  // When
  await Promise.all([1, 2, 3, 4].map(() => evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }))));
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  // Then
  expect((await store.getComponent('host:h-1'))?.level).toBe('red');
  expect(delivered.map((n) => `${n.tenantId}:${n.volumeId}:${n.statusCode}`).sort()).toEqual(['T1:vol-1:IMPAIRED', 'T3:vol-3:IMPAIRED']);
  expect(delivered[0].recommendedAction).toEqual({ method: 'POST', path: expect.stringMatching(/^\/volumes\/vol-[13]\/modifications$/), body: { awayFromHostIds: ['h-1'] }, why: expect.any(String) });
});

test('when the host comes back, the event closes and each affected tenant gets one resolution notice', async () => {
  // Given
  const { store, deps, delivered } = setUp();
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  // When
  await Promise.all([1, 2].map(() => evaluateHealth(deps, fleet())));
  // Then
  expect(delivered.filter((n) => n.statusCode === 'RESOLVED').map((n) => n.tenantId).sort()).toEqual(['T1', 'T3']);
  expect([...store.events.values()][0]).toMatchObject({ statusCode: 'closed' });
});

test('when a tenant set onComponentRed: move, its copy is moved once and the action is recorded on the event', async () => {
  // Given
  const { store, deps, moves } = setUp();
  await store.putRemediation('T1', { default: { onComponentRed: 'move' } });
  // When
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  // Then
  expect(moves).toEqual(['vol-1']);
  const event = [...store.events.values()][0];
  expect(event.actions).toEqual(expect.arrayContaining([expect.objectContaining({ volumeId: 'vol-1', action: 'move', modificationId: 'mod-0000000001-00000001' }), expect.objectContaining({ volumeId: 'vol-3', action: 'recommend' })]));
});

test('when comments arrive about a green host they stay noise; three correlated ones about a yellow host open an event', async () => {
  // Given
  const { store, deps, delivered } = setUp();
  await evaluateHealth(deps, fleet());
  const comments = { store, dependencies: deps.dependencies, hosts: { get: async (hostId: string) => fleet().find((h) => h.hostId === hostId) }, triggers: deps.triggers, now: () => NOW };
  // When
  const noise = await postComment(comments, { tenantId: 'T1', text: 'my volume is slow', volumeId: 'vol-1', channel: 'api' });
  await evaluateHealth(deps, fleet({ health: 'degraded' }));
  const verdicts = [];
  for (const tenantId of ['T1', 'T3', 'T1']) verdicts.push((await postComment(comments, { tenantId, text: 'I/O errors since 04:00', channel: 'api' })).verdict);
  await evaluateHealth(deps, fleet({ health: 'degraded' }));
  // Then
  expect(noise.verdict).toBe('noise');
  expect(verdicts).toEqual(['correlated', 'correlated', 'correlated']);
  const [event] = store.events.values();
  expect(event).toMatchObject({ componentId: 'host:h-1', trigger: { kind: 'correlated-comments' }, eventTypeCode: 'BLOCKPLANE_HOST_REPORTED_ISSUE' });
  expect(delivered.map((n) => n.tenantId).sort()).toEqual(['T1', 'T3']);
});

test('when the fail-over moved a copy off the dead host before any evaluation, its tenant is still told: IMPAIRED once, then UNIMPAIRED, then RESOLVED', async () => {
  // Given vol-1 left h-1 after h-1's last heartbeat, and vol-9 left long before
  const goneAt = new Date(NOW.getTime() - 100_000).toISOString();
  const { deps, delivered } = setUp({ 'h-1': [{ volumeId: 'vol-1', tenantId: 'T1', goneAt }, { volumeId: 'vol-9', tenantId: 'T9', goneAt: new Date(NOW.getTime() - 1_000_000).toISOString() }] });
  // When
  await Promise.all([1, 2, 3, 4].map(() => evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }))));
  const whileRed = delivered.map((n) => `${n.tenantId}:${n.volumeId}:${n.statusCode}`).sort();
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  await evaluateHealth(deps, fleet());
  // Then
  expect(whileRed).toEqual(expect.arrayContaining(['T1:vol-1:IMPAIRED', 'T3:vol-3:IMPAIRED']));
  expect(delivered.map((n) => `${n.tenantId}:${n.volumeId}:${n.statusCode}`).sort()).toEqual([
    'T1:vol-1:IMPAIRED',
    'T1:vol-1:RESOLVED',
    'T1:vol-1:UNIMPAIRED',
    'T3:vol-3:IMPAIRED',
    'T3:vol-3:RESOLVED',
  ]);
});

test('when an evaluator crashes after saving the event and before recording its notices, the next one sends the former dependent its IMPAIRED notice exactly once', async () => {
  // Given vol-1's copy left h-1 after h-1's last heartbeat, and the first evaluation dies right after saving the event
  const goneAt = new Date(NOW.getTime() - 100_000).toISOString();
  const { store, deps, delivered } = setUp({ 'h-1': [{ volumeId: 'vol-1', tenantId: 'T1', goneAt }] });
  const recordNotice = store.recordNotice.bind(store);
  store.recordNotice = async () => { throw new Error('the evaluator crashed'); };
  await expect(evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }))).rejects.toThrow('the evaluator crashed');
  store.recordNotice = recordNotice;
  const saved = [...store.events.values()][0];
  expect(saved.affectedEntities).toContainEqual(expect.objectContaining({ entityValue: 'vol-1', statusCode: 'IMPAIRED' }));
  expect(delivered).toEqual([]);
  // When the next evaluations run, concurrently and again, then the host comes back
  await Promise.all([1, 2, 3].map(() => evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }))));
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  await evaluateHealth(deps, fleet());
  // Then
  expect(delivered.filter((n) => n.volumeId === 'vol-1').map((n) => n.statusCode)).toEqual(['IMPAIRED', 'UNIMPAIRED', 'RESOLVED']);
});

test('when a host is red, three correlated comments from a tenant whose copies are on the other hosts of its rack open a rack event for that tenant', async () => {
  // Given h-1 is dead: the rack (h-1, h-2, h-3) is yellow; T2 has vol-2 on h-2 and h-3 only
  const { store, deps, delivered } = setUp();
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  const comments = { store, dependencies: deps.dependencies, hosts: { get: async (hostId: string) => fleet().find((h) => h.hostId === hostId) }, triggers: deps.triggers, now: () => NOW };
  // When T2 complains three times
  const posted = [];
  for (let i = 0; i < 3; i += 1) posted.push(await postComment(comments, { tenantId: 'T2', text: 'writes time out', channel: 'api' }));
  await evaluateHealth(deps, fleet({ lastHeartbeatAt: dead }));
  // Then the comments correlate with the rack (and the zone) and count on the rack
  expect(posted.map((c) => c.verdict)).toEqual(['correlated', 'correlated', 'correlated']);
  expect(posted[0].correlations[0]).toMatchObject({ componentId: 'rack:zone-a.default', score: 0.75 });
  const rackEvent = [...store.events.values()].find((e) => e.componentId === 'rack:zone-a.default');
  expect(rackEvent).toMatchObject({ trigger: { kind: 'correlated-comments' }, eventTypeCode: 'BLOCKPLANE_RACK_REPORTED_ISSUE' });
  expect([...store.events.values()].some((e) => e.componentId === 'zone:zone-a')).toBe(false);
  expect(delivered.filter((n) => n.eventId === rackEvent?.eventId && n.tenantId === 'T2').map((n) => n.statusCode)).toEqual(['IMPAIRED']);
});

// Pins issue 12's "Not done": a notice recorded whose delivery then failed was skipped as a duplicate by every later pass, so never delivered.
test('when the bus refuses the notices once, the next pass delivers each of them exactly once', async () => {
  // Given the first pass finds h-1 dead while the bus is down
  const { deps, delivered, bus, clock } = setUp();
  bus.down = true;
  const first = await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  bus.down = false;
  // When the next passes run, a minute apart
  for (let pass = 0; pass < 3; pass += 1) {
    clock.advance(60);
    await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  }
  // Then
  expect(first).toMatchObject({ noticesSent: 0, noticesUndelivered: 2, deliveryErrors: [expect.stringContaining('the health bus is unavailable'), expect.any(String)] });
  expect(keysOf(delivered)).toEqual(['T1:vol-1:IMPAIRED', 'T3:vol-3:IMPAIRED']);
});

// Pins the crash between the two steps: the notice recorded (and claimed), the evaluator gone before delivering it.
test('when an evaluator crashes after recording a notice and before delivering it, a pass after its claim ended delivers it exactly once', async () => {
  // Given the first pass dies right after recording its first notice
  const { store, deps, delivered, clock } = setUp();
  const recordNotice = store.recordNotice.bind(store);
  let crashed: string | undefined;
  store.recordNotice = async (...args: Parameters<typeof recordNotice>) => {
    const recorded = await recordNotice(...args);
    crashed = args[0].noticeId;
    throw new Error(`the evaluator crashed (recorded: ${recorded})`);
  };
  await expect(evaluateHealth(deps, fleetWithH1DeadAt(clock.now()))).rejects.toThrow('the evaluator crashed');
  store.recordNotice = recordNotice;
  // When a pass runs while the dead pass's claim lasts, then passes after it ended
  clock.advance(60);
  await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  const whileClaimed = delivered.map((n) => n.noticeId);
  clock.advance(NOTICE_CLAIM_SECONDS);
  await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  clock.advance(60);
  await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  // Then
  expect(crashed).toBeDefined();
  expect(whileClaimed).not.toContain(crashed);
  expect(keysOf(delivered)).toEqual(['T1:vol-1:IMPAIRED', 'T3:vol-3:IMPAIRED']);
});

test('when two passes run at once over notices whose delivery failed, each notice is delivered once', async () => {
  // Given
  const { deps, delivered, bus, clock } = setUp();
  bus.down = true;
  await evaluateHealth(deps, fleetWithH1DeadAt(clock.now()));
  bus.down = false;
  clock.advance(60);
  // When
  const outcomes = await Promise.all([1, 2].map(() => evaluateHealth(deps, fleetWithH1DeadAt(clock.now()))));
  // Then
  expect(keysOf(delivered)).toEqual(['T1:vol-1:IMPAIRED', 'T3:vol-3:IMPAIRED']);
  expect(outcomes.reduce((sum, o) => sum + o.noticesRedelivered, 0)).toBe(2);
});

test('when the bus refuses a notice for good, it is tried with backoff, dead-lettered at its 12th failure and tried no more, and delivered once after a redrive', async () => {
  // Given the bus refusing every delivery, passes a minute apart for six hours
  const { store, deps, delivered, bus, clock } = setUp();
  bus.down = true;
  const tries = new Map<string, string[]>();
  const deliver = deps.delivery.deliver;
  const counted: EvaluateHealthDeps = {
    ...deps,
    delivery: {
      deliver: async (notice, webhook) => {
        tries.set(notice.noticeId, [...(tries.get(notice.noticeId) ?? []), clock.now().toISOString()]);
        await deliver(notice, webhook);
      },
    },
  };
  const outcomes = [];
  for (let pass = 0; pass < 6 * 60; pass += 1) {
    outcomes.push(await evaluateHealth(counted, fleetWithH1DeadAt(clock.now())));
    clock.advance(60);
  }
  const triesWhileDown = [...tries.values()].map((times) => times.length);
  const deadLetters = await store.deadLetteredNotices(10);
  // When the bus is back, an operator redrives one of them and passes run
  bus.down = false;
  const redriven = deadLetters[0].notice.noticeId;
  const answers = [await store.redriveNotice(redriven, clock.now()), await store.redriveNotice(redriven, clock.now())];
  for (let pass = 0; pass < 3; pass += 1) {
    clock.advance(60);
    await evaluateHealth(counted, fleetWithH1DeadAt(clock.now()));
  }
  // Then each notice was tried 12 times, waiting 0, 1, 2, 4 … 60 minutes between tries
  expect(triesWhileDown).toEqual([12, 12]);
  const gaps = (times: readonly string[]) => times.slice(1).map((t, i) => (Date.parse(t) - Date.parse(times[i])) / 60_000);
  expect(gaps(tries.get(redriven)!.slice(0, 12))).toEqual([1, 2, 3, 5, 9, 17, 33, 61, 61, 61, 61]);
  expect(outcomes.reduce((sum, o) => sum + o.noticesDeadLettered, 0)).toBe(2);
  expect(deadLetters.map((d) => d.lastFailure)).toEqual([
    { failedDeliveries: 12, error: 'the health bus is unavailable', at: expect.any(String) },
    { failedDeliveries: 12, error: 'the health bus is unavailable', at: expect.any(String) },
  ]);
  expect(store.outbox.size).toBe(0);
  expect(answers).toEqual([true, false]);
  expect(delivered.map((n) => n.noticeId)).toEqual([redriven]);
  expect((await store.deadLetteredNotices(10)).map((d) => d.notice.noticeId)).not.toContain(redriven);
});

test('when one disk of a host fails, only the volumes with a copy that disk may hold are told, not every tenant of the host', async () => {
  // Given h-1 with an ssd and an hdd disk: vol-1's copy recorded on the hdd, vol-3's on the ssd, vol-4 (hdd) placed before disks were recorded
  const { deps, delivered, store } = setUp();
  const onH1 = [
    { volumeId: 'vol-1', tenantId: 'T1', type: 'hdd' as const, deviceId: 'sdb' },
    { volumeId: 'vol-3', tenantId: 'T3', type: 'ssd' as const, deviceId: 'nvme-1' },
    { volumeId: 'vol-4', tenantId: 'T4', type: 'hdd' as const },
  ];
  const withDisks = { ...deps, dependencies: { ...deps.dependencies, dependentsOf: async (hostId: string) => (hostId === 'h-1' ? onH1 : []) } };
  const disks = (hdd: string) => [{ deviceId: 'nvme-1', type: 'ssd' as const, health: 'ok' }, { deviceId: 'sdb', type: 'hdd' as const, health: hdd }];
  await evaluateHealth(withDisks, fleet({ disks: disks('ok') }));
  // When its hdd disk fails (the host degraded: yellow, no event of its own)
  await evaluateHealth(withDisks, fleet({ health: 'degraded', disks: disks('failed') }));
  // Then the disk's event tells the hdd volumes only
  expect((await store.getComponent('disk:h-1.sdb'))?.level).toBe('red');
  expect((await store.getComponent('host:h-1'))?.level).toBe('yellow');
  expect(keysOf(delivered)).toEqual(['T1:vol-1:IMPAIRED', 'T4:vol-4:IMPAIRED']);
});
