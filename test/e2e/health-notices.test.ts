import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbHealthStore } from '../../adapters/dynamodb-health-store';
import { ok } from '../../client/blockplane-api';
import { openEvent } from '../../core/health/health-event';
import type { Notice } from '../../core/health/health-event';
import { claimFor, NOTICE_CLAIM_SECONDS, releasedAt, type FailedDelivery } from '../../core/health/notice-outbox';
import type { HealthStore } from '../../core/health/ports';
import { DEFAULT_TRIGGERS } from '../../core/health/triggers';
import { evaluateHealth, type EvaluateHealthDeps } from '../../core/health/use-cases/evaluate-health';
import { HostStatus, type Host } from '../../core/host';
import { createOperatorIdentity } from '../../local/identities';
import { httpAs, identities } from './support/local-cloud';

jest.setTimeout(120_000);

/**
 * The exactly-once guard on the deployed health table: eight evaluations at once, and again, of
 * a fleet with a dead host record one notice per (event, entity, status) and deliver each once.
 * Only the store is real here (the DynamoDB conditional write under test); the fleet is data.
 */
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const store = new DynamoDbHealthStore(outputs.BlockplaneHealth.HealthTableName);
const now = new Date();
const run = randomUUID().slice(0, 8);
const host = (id: string, lastHeartbeatAt: string): Host => ({
  hostId: `hn-${run}-${id}`, location: `zone-${run}`, address: '10.77.0.250', agentVersion: '1.0.0', principalArn: 'arn:aws:iam::000000000000:user/blockplane-hosts/x',
  status: HostStatus.active, health: 'ok', capacity: {}, lastHeartbeatAt, registeredAt: lastHeartbeatAt, version: 1,
});
const dead = host('1', new Date(now.getTime() - 600_000).toISOString());
const fleet = [dead, host('2', now.toISOString()), host('3', now.toISOString())];
const dependents = Array.from({ length: 5 }, (_, i) => ({ volumeId: `vol-${run}${String(i).padStart(9, '0')}`, tenantId: `T${run}${i}` }));

/**
 * The store as this run's evaluations see it: the outbox lists only this run's notices. The table
 * is shared with the deployed evaluator, whose undelivered notices are not this test's to deliver.
 */
const onlyThisRun = (): HealthStore => {
  const view = Object.create(store) as HealthStore;
  view.undeliveredNotices = async (limit) => (await store.undeliveredNotices(limit)).filter((entry) => entry.notice.componentId.includes(run));
  return view;
};

/**
 * An evaluation over this run's outbox: `dependents` have copies on `deadId`; deliveries throw
 * `refusal` while `bus.down`, and otherwise land in `delivered`.
 */
function evaluationDeps(options: { deadId: string; dependents: readonly { volumeId: string; tenantId: string }[]; delivered: Notice[]; now: () => Date; bus?: { down: boolean }; refusal?: string }): EvaluateHealthDeps {
  return {
    store: onlyThisRun(),
    dependencies: { dependentsOf: async (hostId) => (hostId === options.deadId ? options.dependents.map((d) => ({ ...d, type: 'ssd' as const })) : []), formerDependentsOf: async () => [], volumesOfTenant: async () => [] },
    signals: { signalsOf: async () => [] },
    probe: { probe: async () => 'refused' },
    delivery: {
      deliver: async (notice) => {
        if (options.bus?.down) throw new Error(options.refusal ?? 'the health bus is unavailable');
        options.delivered.push(notice);
      },
    },
    mover: { moveOff: async () => 'mod-0000000000-00000000' },
    triggers: DEFAULT_TRIGGERS,
    heartbeatTimeoutSeconds: 6,
    now: options.now,
  };
}

test('when eight evaluations run at once, twice, each affected tenant is told once per status', async () => {
  // Given
  const delivered: Notice[] = [];
  const deps = evaluationDeps({ deadId: dead.hostId, dependents, delivered, now: () => now });
  // When
  for (let round = 0; round < 2; round += 1) await Promise.all(Array.from({ length: 8 }, () => evaluateHealth(deps, fleet)));
  // Then
  const mine = delivered.filter((notice) => notice.componentId === `host:${dead.hostId}`);
  expect(mine.map((notice) => `${notice.tenantId}:${notice.statusCode}`).sort()).toEqual(dependents.map((d) => `${d.tenantId}:IMPAIRED`).sort());
  for (const dependent of dependents) expect(await store.noticesOfTenant(dependent.tenantId, 10)).toHaveLength(1);
});

test('when an evaluator crashed after closing an event and before removing its open pointer, the component still opens its next event', async () => {
  // Given: an open event, then closed by a save whose pointer delete never ran (the crash)
  const componentId = `host:hn-${run}-crash`;
  const trigger = { kind: 'health' as const, componentId, reasons: ['host silent'] };
  const first = await store.openEvent(openEvent(componentId, `zone-${run}`, 'red', trigger, new Date(now.getTime() - 60_000)));
  const closed = { ...first, statusCode: 'closed' as const, version: first.version + 1 };
  await createDocumentClient().send(new PutCommand({ TableName: outputs.BlockplaneHealth.HealthTableName, Item: { pk: `EVENT#${first.eventId}`, sk: 'EVENT', ...closed } }));
  // When
  const open = await store.openEventOf(componentId);
  const next = await store.openEvent(openEvent(componentId, `zone-${run}`, 'red', trigger, now));
  // Then
  expect(open).toBeUndefined();
  expect(next.eventId).not.toBe(first.eventId);
  expect((await store.openEventOf(componentId))?.eventId).toBe(next.eventId);
  expect((await store.getEvent(first.eventId))?.statusCode).toBe('closed');
});

test('when a notice is recorded, its delivery is claimed by one claimant at a time, taken over once the claim ended, and gone from the outbox once delivered', async () => {
  // Given a notice recorded by pass A (which holds the claim)
  const tenantId = `T${run}-outbox`;
  const notice: Notice = {
    noticeId: `evt-${run}-outbox#vol-${run}#IMPAIRED`, eventId: `evt-${run}-outbox`, tenantId, volumeId: `vol-${run}`, statusCode: 'IMPAIRED',
    at: now.toISOString(), eventTypeCode: 'BLOCKPLANE_HOST_DEGRADED', componentId: `host:hn-${run}-outbox`, description: 'outbox test',
  };
  const ended = new Date(now.getTime() + (NOTICE_CLAIM_SECONDS + 1) * 1000);
  const mine = async () => (await store.undeliveredNotices(1_000)).filter((entry) => entry.notice.noticeId === notice.noticeId);
  // When
  const recorded = await Promise.all(Array.from({ length: 4 }, (_, i) => store.recordNotice(notice, claimFor(`A${i}`, now))));
  const whileHeld = await store.claimNotice(notice.noticeId, claimFor('B', now), now);
  const takeovers = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimNotice(notice.noticeId, claimFor(`C${i}`, ended), ended)));
  const [held] = await mine();
  const failure: FailedDelivery = { failedDeliveries: 1, error: 'the health bus is unavailable', at: ended.toISOString() };
  const foreign = claimFor('not-the-holder', ended);
  await store.releaseNotice(notice.noticeId, foreign, releasedAt(foreign, ended, 1), failure);
  const afterForeignRelease = await mine();
  await store.releaseNotice(notice.noticeId, held.claim, releasedAt(held.claim, ended, 1), failure);
  const [released] = await mine();
  const justAfter = new Date(ended.getTime() + 1_000);
  const retaken = await store.claimNotice(notice.noticeId, claimFor('D', justAfter), justAfter);
  await store.markNoticeDelivered(notice, justAfter);
  await store.markNoticeDelivered(notice, new Date(justAfter.getTime() + 1_000));
  const afterDelivery = await mine();
  const later = new Date(justAfter.getTime() + (NOTICE_CLAIM_SECONDS + 1) * 1000);
  const claimAfterDelivery = await store.claimNotice(notice.noticeId, claimFor('E', later), later);
  const { Item } = await createDocumentClient().send(new GetCommand({ TableName: outputs.BlockplaneHealth.HealthTableName, Key: { pk: `TENANT#${tenantId}`, sk: `NOTICE#${notice.noticeId}` }, ConsistentRead: true }));
  // Then
  expect(recorded.filter(Boolean)).toHaveLength(1);
  expect(whileHeld).toBe(false);
  expect(takeovers.filter(Boolean)).toHaveLength(1);
  expect(held.claim.by).toMatch(/^C\d$/);
  expect(afterForeignRelease[0].claim).toEqual(held.claim);
  expect(released).toMatchObject({ claim: { by: held.claim.by, until: ended.toISOString() }, failedDeliveries: 1 });
  expect(retaken).toBe(true);
  expect(afterDelivery).toEqual([]);
  expect(claimAfterDelivery).toBe(false);
  expect(Item?.deliveredAt).toBe(justAfter.toISOString());
  expect(await store.noticesOfTenant(tenantId, 10)).toEqual([notice]);
});

test('when the bus refuses the notices of a dead host once, later evaluations, eight at once, deliver each exactly once', async () => {
  // Given a fleet with a dead host whose dependents are told while the bus is down
  // An hour ahead of real time: the claims and released claims of these notices have not ended
  // for the deployed evaluator (real time), whose passes would otherwise deliver them to the real bus.
  let clock = new Date(Date.now() + 3_600_000);
  const fleetAt = (at: Date) => [host('r1', new Date(at.getTime() - 600_000).toISOString()), host('r2', at.toISOString()), host('r3', at.toISOString())];
  const deadId = `hn-${run}-r1`;
  const told = Array.from({ length: 3 }, (_, i) => ({ volumeId: `vol-${run}r${String(i).padStart(8, '0')}`, tenantId: `T${run}r${i}` }));
  const bus = { down: true };
  const delivered: Notice[] = [];
  const deps = evaluationDeps({ deadId, dependents: told, delivered, bus, now: () => clock });
  const first = await Promise.all(Array.from({ length: 8 }, () => evaluateHealth(deps, fleetAt(clock))));
  bus.down = false;
  // When the next rounds run a minute apart, eight evaluations at once each
  for (let round = 0; round < 2; round += 1) {
    clock = new Date(clock.getTime() + 60_000);
    await Promise.all(Array.from({ length: 8 }, () => evaluateHealth(deps, fleetAt(clock))));
  }
  // Then
  expect(first.reduce((sum, outcome) => sum + outcome.noticesUndelivered, 0)).toBe(told.length);
  const mine = delivered.filter((notice) => notice.componentId === `host:${deadId}`);
  expect(mine.map((notice) => `${notice.tenantId}:${notice.statusCode}`).sort()).toEqual(told.map((d) => `${d.tenantId}:IMPAIRED`).sort());
  expect((await store.undeliveredNotices(1_000)).filter((entry) => entry.notice.componentId === `host:${deadId}`)).toEqual([]);
});

test('when the bus refuses a notice twelve times, it moves to the dead letters, which an operator lists and redrives, and it is delivered once after', async () => {
  // Given a dead host's dependent whose notice the bus refuses every time, passes an hour apart
  // (each after the longest backoff), ahead of real time like the test above
  let clock = new Date(Date.now() + 3_600_000);
  const deadId = `hn-${run}-d1`;
  const dependent = { volumeId: `vol-${run}d00000000`, tenantId: `T${run}d` };
  const bus = { down: true };
  const delivered: Notice[] = [];
  const deps = evaluationDeps({ deadId, dependents: [dependent], delivered, bus, refusal: 'the health bus refused the event: MalformedDetail', now: () => clock });
  const fleetAt = (at: Date) => [host('d1', new Date(at.getTime() - 600_000).toISOString()), host('d2', at.toISOString()), host('d3', at.toISOString())];
  const outcomes = [];
  for (let pass = 0; pass < 13; pass += 1) {
    outcomes.push(await evaluateHealth(deps, fleetAt(clock)));
    clock = new Date(clock.getTime() + 3_601_000);
  }
  const ops = httpAs(await createOperatorIdentity('operator-health-notices-e2e'));
  const customer = httpAs(identities.tenants.a);
  const listed = ok<{ deadLetters: { notice: Notice; lastFailure: { failedDeliveries: number; error: string } }[] }>(await ops.request('GET', '/health/dead-letters'));
  const mine = listed.deadLetters.filter((letter) => letter.notice.componentId === `host:${deadId}`);
  const noticeId = mine[0]?.notice.noticeId;
  // When the customer, a malformed request and an unknown notice are refused, and the operator redrives it twice
  const refused = [
    (await customer.request('GET', '/health/dead-letters')).status,
    (await customer.request('POST', '/health/dead-letters/redrive', { noticeId })).status,
    (await ops.request('POST', '/health/dead-letters/redrive', { noticeId: 'evt-1#vol-1#IMPAIRED' })).status,
    (await ops.request('POST', '/health/dead-letters/redrive', { noticeId, extra: 1 })).status,
    (await ops.request('POST', '/health/dead-letters/redrive', { noticeId: noticeId?.replace('IMPAIRED', 'RESOLVED') })).status,
  ];
  const stillDeadAfterRefusals = (await store.deadLetteredNotices(1_000)).some((letter) => letter.notice.noticeId === noticeId);
  bus.down = false;
  const redrives = [await ops.request('POST', '/health/dead-letters/redrive', { noticeId }), await ops.request('POST', '/health/dead-letters/redrive', { noticeId })];
  await evaluateHealth(deps, fleetAt(clock));
  // Then it was tried 12 times and no more, dead-lettered once, redriven once, and is delivered:
  // by this pass, or by the deployed evaluator (real time) if its pass came first
  expect(outcomes.map((o) => o.noticesUndelivered)).toEqual([...Array(12).fill(1), 0]);
  expect(outcomes.reduce((sum, o) => sum + o.noticesDeadLettered, 0)).toBe(1);
  expect(mine.map((letter) => ({ status: letter.notice.statusCode, tenantId: letter.notice.tenantId, ...letter.lastFailure }))).toEqual([
    { status: 'IMPAIRED', tenantId: dependent.tenantId, failedDeliveries: 12, error: 'the health bus refused the event: MalformedDetail', at: expect.any(String) },
  ]);
  expect(refused).toEqual([403, 403, 400, 400, 404]);
  expect(stillDeadAfterRefusals).toBe(true);
  expect(redrives.map((r) => r.status)).toEqual([200, 404]);
  expect(redrives[0].body).toEqual({ noticeId, redriven: true });
  expect(delivered.length).toBeLessThanOrEqual(1);
  expect((await store.undeliveredNotices(1_000)).filter((entry) => entry.notice.noticeId === noticeId)).toEqual([]);
  expect((await store.deadLetteredNotices(1_000)).filter((letter) => letter.notice.noticeId === noticeId)).toEqual([]);
  const { Item } = await createDocumentClient().send(new GetCommand({ TableName: outputs.BlockplaneHealth.HealthTableName, Key: { pk: `TENANT#${dependent.tenantId}`, sk: `NOTICE#${noticeId}` }, ConsistentRead: true }));
  expect(Item?.deliveredAt).toEqual(expect.any(String));
});
