import { randomUUID } from 'node:crypto';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { deployment, volumesAs } from './support/local-cloud';
import { freshHostPrincipal } from './support/host-identity';

/**
 * Pins issue 7 "one throttle for everyone": a tenant flooding the customer routes is limited
 * (429 from its own per-tenant limit) while a storage host's heartbeats all succeed.
 */
jest.setTimeout(120_000);

const FLOOD_REQUESTS = 300;
const FLOOD_CONCURRENCY = 20;
const HEARTBEAT_INTERVAL_MS = 100;

test('when a tenant floods the API, it is answered 429 past its limit and every heartbeat of a host still succeeds', async () => {
  // Given
  const { api } = await freshHostPrincipal(`host-e2e-flood-${randomUUID().slice(0, 8)}`);
  const hostId = `e2e-flood-${randomUUID().slice(0, 8)}`;
  const registered = await api.register({
    hostId, location: `e2e-flood-${randomUUID().slice(0, 8)}`, address: '10.77.0.231', agentVersion: '1.0.0',
    disks: [{ deviceId: `${hostId}-d0`, type: 'ssd', capacityGiB: 100, iopsCapacity: 20_000 }],
  });
  expect(registered.status).toBe(200);
  const tenant = volumesAs('a', { throttleRetries: 0 });

  // When: the tenant floods while the host heartbeats
  let flooding = true;
  const heartbeats: number[] = [];
  const beating = (async () => {
    while (flooding) {
      heartbeats.push((await api.heartbeat(hostId, { health: 'ok' })).status);
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_INTERVAL_MS));
    }
  })();
  const floodStatuses: number[] = [];
  const floodCodes = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: FLOOD_CONCURRENCY }, async () => {
      while (next < FLOOD_REQUESTS) {
        next++;
        const response = await tenant.list({});
        floodStatuses.push(response.status);
        if (response.status === 429) floodCodes.add((response.body as { code: string }).code);
      }
    }),
  );
  flooding = false;
  await beating;

  // Then
  const count = (status: number) => floodStatuses.filter((s) => s === status).length;
  console.log(`flood: ${floodStatuses.length} requests, ${count(200)} × 200, ${count(429)} × 429 (${[...floodCodes].join(', ')}); heartbeats: ${heartbeats.length}, all 200: ${heartbeats.every((s) => s === 200)}`);
  expect(count(429)).toBeGreaterThan(0);
  expect(floodCodes).toContain('TooManyRequests');
  expect(floodStatuses.filter((s) => s >= 500)).toEqual([]);
  expect(heartbeats.length).toBeGreaterThan(3);
  expect(heartbeats.filter((s) => s !== 200)).toEqual([]);
  expect((await new DynamoDbHostRepository(deployment.hostsTableName).get(hostId))?.status).toBe('active');
});
