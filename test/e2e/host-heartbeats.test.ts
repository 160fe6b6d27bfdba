import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { HostStatus, type Host } from '../../core/host';
import { deployment } from './support/local-cloud';

/**
 * Pins issue 7 "heartbeats can fail because of placements": on the emulator's DynamoDB,
 * reservations and heartbeats (with disk totals) on one host interleave and no heartbeat fails.
 */
const hosts = new DynamoDbHostRepository(deployment.hostsTableName);
const ROUNDS = 25;

function aHost(hostId: string, at: string): Host {
  return {
    hostId,
    location: 'zone-heartbeats',
    address: '10.77.0.250',
    agentVersion: '1.0.0',
    principalArn: `arn:aws:iam::000000000000:user/blockplane-hosts/${hostId}`,
    status: HostStatus.active,
    health: 'ok',
    capacity: { ssd: { capacityGiB: 1000, iopsCapacity: 1_000_000, allocatedGiB: 0, allocatedIops: 0 } },
    lastHeartbeatAt: at,
    registeredAt: at,
    version: 1,
  };
}

describe('host heartbeats and reservations on one host', () => {
  test('when reservations and heartbeats interleave, every heartbeat succeeds and every reservation stays counted', async () => {
    // Given
    const hostId = `hb-${Date.now().toString(36)}`;
    await hosts.register(aHost(hostId, new Date().toISOString()));
    const reservation = (i: number) => ({ hostId, volumeId: `vol-${String(i).padStart(17, '0')}`, copyId: `cpy-${String(i).padStart(12, '0')}`, type: 'ssd' as const, sizeGiB: 1, iops: 10 });
    // When: each round, a heartbeat and a reservation race, and a reservation lands between a heartbeat's read and its write
    const heartbeatFailures: unknown[] = [];
    let lastBeat = '';
    for (let i = 0; i < ROUNDS; i++) {
      lastBeat = new Date(Date.now() + i).toISOString();
      const beat = hosts.recordHeartbeat(hostId, lastBeat, 'ok', { ssd: { capacityGiB: 1000, iopsCapacity: 1_000_000 } }).catch((error: unknown) => heartbeatFailures.push(error));
      await Promise.all([beat, hosts.reserve([reservation(i)])]);
    }
    // Then
    expect(heartbeatFailures).toEqual([]);
    const stored = await hosts.get(hostId);
    expect(stored?.lastHeartbeatAt).toBe(lastBeat);
    expect(stored?.capacity.ssd).toEqual({ capacityGiB: 1000, iopsCapacity: 1_000_000, allocatedGiB: ROUNDS, allocatedIops: ROUNDS * 10 });
    expect(await hosts.reservationsOf(hostId)).toHaveLength(ROUNDS);
  });

  test('when a heartbeat reports a storage type the host did not offer, it is added with nothing allocated', async () => {
    // Given
    const hostId = `hb-${Date.now().toString(36)}-new`;
    await hosts.register(aHost(hostId, new Date().toISOString()));
    // When
    await hosts.recordHeartbeat(hostId, new Date().toISOString(), 'ok', { ssd: { capacityGiB: 900, iopsCapacity: 5000 }, hdd: { capacityGiB: 50, iopsCapacity: 500 } });
    // Then
    expect((await hosts.get(hostId))?.capacity).toEqual({
      ssd: { capacityGiB: 900, iopsCapacity: 5000, allocatedGiB: 0, allocatedIops: 0 },
      hdd: { capacityGiB: 50, iopsCapacity: 500, allocatedGiB: 0, allocatedIops: 0 },
    });
  });
});
