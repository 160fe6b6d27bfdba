import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbHealthStore } from '../../adapters/dynamodb-health-store';
import { openEvent } from '../../core/health/health-event';
import type { Notice } from '../../core/health/health-event';
import { DEFAULT_TRIGGERS } from '../../core/health/triggers';
import { evaluateHealth, type EvaluateHealthDeps } from '../../core/health/use-cases/evaluate-health';
import { HostStatus, type Host } from '../../core/host';

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

test('when eight evaluations run at once, twice, each affected tenant is told once per status', async () => {
  // Given
  const delivered: Notice[] = [];
  const deps: EvaluateHealthDeps = {
    store,
    dependencies: { dependentsOf: async (hostId) => (hostId === dead.hostId ? dependents : []), formerDependentsOf: async () => [], volumesOfTenant: async () => [] },
    signals: { signalsOf: async () => [] },
    probe: { probe: async () => 'refused' },
    delivery: { deliver: async (notice) => void delivered.push(notice) },
    mover: { moveOff: async () => 'mod-0000000000-00000000' },
    triggers: DEFAULT_TRIGGERS,
    heartbeatTimeoutSeconds: 6,
    now: () => now,
  };
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
