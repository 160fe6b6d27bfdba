import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { InsufficientCapacityError } from '../../core/errors';
import type { Host } from '../../core/host';
import { aHost } from '../unit/fakes/builders';
import { deployment } from './support/local-cloud';

/**
 * Pins issue 7 "placement per disk" in the DynamoDB adapter, on the emulator: allocations per
 * disk are counted with the pool in one conditional write, so concurrent reservations never
 * promise a disk more than it holds, releases and grows move them, and heartbeats leave them alone.
 */
const hosts = new DynamoDbHostRepository(deployment.hostsTableName);

/** A host of two 100 GiB ssd disks (200 GiB in its pool), nothing promised yet. */
const twoDiskHost = (hostId: string): Host =>
  aHost({
    hostId,
    location: 'zone-disk-allocations',
    principalArn: `arn:aws:iam::000000000000:user/blockplane-hosts/${hostId}`,
    capacity: { ssd: { capacityGiB: 200, iopsCapacity: 20_000, allocatedGiB: 0, allocatedIops: 0 } },
    disks: [
      { deviceId: 'disk a0', type: 'ssd', health: 'ok', capacityGiB: 100, iopsCapacity: 10_000 },
      { deviceId: 'disk a1', type: 'ssd', health: 'ok', capacityGiB: 100, iopsCapacity: 10_000 },
    ],
    diskAllocations: { 'disk a0': { allocatedGiB: 0, allocatedIops: 0 }, 'disk a1': { allocatedGiB: 0, allocatedIops: 0 } },
    lastHeartbeatAt: new Date().toISOString(),
  });

const reservation = (hostId: string, i: number, sizeGiB: number, deviceId = 'disk a0') => ({
  hostId,
  volumeId: `vol-${String(i).padStart(17, '0')}`,
  copyId: `cpy-${String(i).padStart(12, '0')}`,
  type: 'ssd' as const,
  sizeGiB,
  iops: 100,
  deviceId,
});

describe('allocations per disk in DynamoDB', () => {
  test('when six 40 GiB reservations race for one 100 GiB disk, at most two are made and the disk and the pool count exactly those', async () => {
    // Given
    const hostId = `da-${Date.now().toString(36)}`;
    await hosts.register(twoDiskHost(hostId));
    // When
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => hosts.reserve([reservation(hostId, i, 40)])));
    // And: the losers try again one by one until the disk is full
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'rejected') await hosts.reserve([reservation(hostId, index + 1, 40)]).catch(() => undefined);
    }
    // Then
    const made = (await hosts.reservationsOf(hostId)).length;
    const host = await hosts.get(hostId);
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof InsufficientCapacityError)).toBe(true);
    expect(made).toBe(2);
    expect(host?.diskAllocations?.['disk a0']).toEqual({ allocatedGiB: 80, allocatedIops: 200 });
    expect(host?.diskAllocations?.['disk a1']).toEqual({ allocatedGiB: 0, allocatedIops: 0 });
    expect(host?.capacity.ssd?.allocatedGiB).toBe(80);
  });

  test('when a copy grows past its disk it is refused although the pool has room; a release gives the disk back; a heartbeat keeps the allocations', async () => {
    // Given
    const hostId = `db-${Date.now().toString(36)}`;
    await hosts.register(twoDiskHost(hostId));
    await hosts.reserve([reservation(hostId, 1, 60)]);
    await hosts.reserve([reservation(hostId, 2, 30, 'disk a1')]);
    // When
    const grow = hosts.resize(reservation(hostId, 1, 110));
    await expect(grow).rejects.toThrow(InsufficientCapacityError);
    await hosts.resize(reservation(hostId, 1, 90));
    await hosts.recordHeartbeat(hostId, new Date().toISOString(), 'ok', { ssd: { capacityGiB: 190, iopsCapacity: 20_000 } }, [
      { deviceId: 'disk a0', type: 'ssd', health: 'ok', capacityGiB: 95, iopsCapacity: 10_000 },
      { deviceId: 'disk a1', type: 'ssd', health: 'ok', capacityGiB: 95, iopsCapacity: 10_000 },
    ]);
    await hosts.release([reservation(hostId, 2, 30, 'disk a1')]);
    // Then
    const host = await hosts.get(hostId);
    expect(host?.diskAllocations).toEqual({ 'disk a0': { allocatedGiB: 90, allocatedIops: 100 }, 'disk a1': { allocatedGiB: 0, allocatedIops: 0 } });
    expect(host?.capacity.ssd).toEqual({ capacityGiB: 190, iopsCapacity: 20_000, allocatedGiB: 90, allocatedIops: 100 });
    expect(host?.disks?.map((disk) => disk.capacityGiB)).toEqual([95, 95]);
  });
});
