import { chooseDisk } from '../../../core/disk-placement';
import { diskAllocationsOf } from '../../../core/disk-records';
import { InsufficientCapacityError } from '../../../core/errors';
import type { Host, RegisteredDisk } from '../../../core/host';
import { planModification, planReservations } from '../../../core/modification-plan';
import { placeCopies, placeReplacementMirror, type PlacementRequest } from '../../../core/placement';
import { reservationsFor } from '../../../core/use-cases/place-volume-copies';
import { createCopyCommand } from '../../../core/copy-commands';
import { aHost, aVolume, capacity } from '../fakes/builders';
import { InMemoryHostRepository } from '../fakes/in-memory-host-repository';

/**
 * Issue 7, "placement promises only what a disk can hold": a copy is one file on one disk, so the
 * control plane places it on a disk, not on a host's pooled free space, and records the disk.
 */

const request: PlacementRequest = { sizeGiB: 100, iops: 3000, type: 'ssd', location: 'zone-a' };

const disk = (deviceId: string, capacityGiB: number, overrides: Partial<RegisteredDisk> = {}): RegisteredDisk => ({
  deviceId,
  type: 'ssd',
  health: 'ok',
  capacityGiB,
  iopsCapacity: 50_000,
  ...overrides,
});

/** A host placed per disk: its pool is the sum of its disks, and each disk has an allocation entry. */
function hostWithDisks(hostId: string, disks: RegisteredDisk[], allocated: Record<string, number> = {}): Host {
  const gib = (d: RegisteredDisk) => d.capacityGiB ?? 0;
  const used = Object.values(allocated).reduce((sum, value) => sum + value, 0);
  return aHost({
    hostId,
    disks,
    diskAllocations: Object.fromEntries(disks.map((d) => [d.deviceId, { allocatedGiB: allocated[d.deviceId] ?? 0, allocatedIops: 0 }])),
    capacity: { ssd: capacity({ capacityGiB: disks.reduce((sum, d) => sum + gib(d), 0), iopsCapacity: disks.length * 50_000, allocatedGiB: used }) },
  });
}

describe('placement per disk', () => {
  test('when a host has room in its pool but on no single disk, it is not chosen, and the copies go to disks that hold them', () => {
    // Given: host-a has 120 GiB free in two 60 GiB disks; host-b and host-c have one 200 GiB disk each
    const hosts = [hostWithDisks('host-a', [disk('a0', 60), disk('a1', 60)]), hostWithDisks('host-b', [disk('b0', 200)]), hostWithDisks('host-c', [disk('c0', 200)])];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map(({ hostId, deviceId }) => ({ hostId, deviceId }))).toEqual([
      { hostId: 'host-b', deviceId: 'b0' },
      { hostId: 'host-c', deviceId: 'c0' },
    ]);
  });

  test('when only hosts whose pools fit but whose disks do not are left, placement is refused with InsufficientCapacityError', () => {
    // Given
    const hosts = [hostWithDisks('host-a', [disk('a0', 60), disk('a1', 60)]), hostWithDisks('host-b', [disk('b0', 99), disk('b1', 99)])];
    // When / Then
    expect(() => placeCopies(request, hosts)).toThrow(InsufficientCapacityError);
    expect(() => placeCopies(request, hosts)).toThrow(/free on one disk/);
  });

  test('when a host has several disks that fit, the copy goes to the one with the most room left, never to a failed one', () => {
    // Given
    const host = hostWithDisks('host-a', [disk('a0', 500), disk('a1', 300), disk('a2', 900, { health: 'failed' })], { a0: 350 });
    // When
    const chosen = chooseDisk(host, 'ssd', 100, 3000);
    // Then: a0 has 150 GiB left, a1 300, a2 is failed
    expect(chosen?.deviceId).toBe('a1');
  });

  test("when a disk's committed IOPS are used up, a copy is not placed there even with room in GiB", () => {
    // Given
    const host = hostWithDisks('host-a', [disk('a0', 500), disk('a1', 200)]);
    const busy: Host = { ...host, diskAllocations: { ...host.diskAllocations, a0: { allocatedGiB: 0, allocatedIops: 49_000 } } };
    // When
    const chosen = chooseDisk(busy, 'ssd', 100, 3000);
    // Then
    expect(chosen?.deviceId).toBe('a1');
  });

  test('when a host record predates placement per disk (no allocations per disk), it is placed by its pool and the copy names no disk', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.every((copy) => copy.deviceId === undefined)).toBe(true);
  });

  test('a replacement mirror is placed on a disk too, and its reservation and create-copy command name that disk', () => {
    // Given
    const hosts = [hostWithDisks('host-a', [disk('a0', 200)]), hostWithDisks('host-c', [disk('c0', 60), disk('c1', 150)])];
    // When
    const mirror = placeReplacementMirror(request, hosts, ['host-a']);
    const volume = aVolume({ sizeGiB: 100, iops: 3000, copies: [{ copyId: 'cpy-00000000000c', ...mirror }] });
    // Then
    expect(mirror).toEqual({ hostId: 'host-c', role: 'mirror', deviceId: 'c1' });
    expect(reservationsFor(volume)[0].deviceId).toBe('c1');
    expect(createCopyCommand(volume, volume.copies[0]).payload.deviceId).toBe('c1');
  });

  test("when a grow fits the host's pool but not the copy's disk, the copy moves to a disk that holds it instead of growing in place", () => {
    // Given: host-a holds the primary on a0 (100 of 150 GiB used), its a1 is empty; host-b holds the mirror with room
    const volume = aVolume({
      status: 'in-use',
      sizeGiB: 100,
      iops: 3000,
      copies: [
        { copyId: 'cpy-00000000000a', hostId: 'host-a', deviceId: 'a0', role: 'primary', inSync: true, inSyncGeneration: 1 },
        { copyId: 'cpy-00000000000b', hostId: 'host-b', deviceId: 'b0', role: 'mirror', inSync: true, inSyncGeneration: 1 },
      ],
    });
    const hosts = [hostWithDisks('host-a', [disk('a0', 150), disk('a1', 300)], { a0: 100 }), hostWithDisks('host-b', [disk('b0', 500)], { b0: 100 })];
    const target = { sizeGiB: 200, iops: 3000, type: volume.type, location: volume.location };
    // When
    const plan = planModification(volume, target, hosts, () => 'cpy-0000000000ff');
    // Then: host-a's pool has 350 GiB free, but a0 only 50; the primary moves to a1 on its own host
    if (plan.kind !== 'migrate') throw new Error(`expected a migration, got ${plan.kind}`);
    expect(plan.moves.map(({ role, toHostId, toDeviceId }) => ({ role, toHostId, toDeviceId }))).toEqual([{ role: 'primary', toHostId: 'host-a', toDeviceId: 'a1' }]);
    const { reserve, resize } = planReservations(volume, target, plan);
    expect(reserve.map((r) => r.deviceId)).toEqual(['a1']);
    expect(resize.map((r) => r.deviceId)).toEqual(['b0']);
  });

  test("when a grow fits the copy's disk, it stays in place", () => {
    // Given
    const volume = aVolume({
      sizeGiB: 100,
      iops: 3000,
      copies: [
        { copyId: 'cpy-00000000000a', hostId: 'host-a', deviceId: 'a0', role: 'primary', inSync: true, inSyncGeneration: 1 },
        { copyId: 'cpy-00000000000b', hostId: 'host-b', deviceId: 'b0', role: 'mirror', inSync: true, inSyncGeneration: 1 },
      ],
    });
    const hosts = [hostWithDisks('host-a', [disk('a0', 250)], { a0: 100 }), hostWithDisks('host-b', [disk('b0', 500)], { b0: 100 })];
    // When
    const plan = planModification(volume, { sizeGiB: 200, iops: 3000, type: volume.type, location: volume.location }, hosts, () => 'cpy-0000000000ff');
    // Then
    expect(plan.kind).toBe('in-place');
  });
});

describe('allocations per disk in the host repository', () => {
  const reservation = (copyId: string, sizeGiB: number) => ({ hostId: 'host-a', volumeId: 'vol-0000000000000000a', copyId, type: 'ssd' as const, sizeGiB, iops: 10, deviceId: 'a0' });

  test('a reservation on a disk is counted on that disk and in the pool, and its release gives both back', async () => {
    // Given
    const hosts = new InMemoryHostRepository();
    hosts.put(hostWithDisks('host-a', [disk('a0', 150), disk('a1', 150)]));
    // When
    await hosts.reserve([reservation('cpy-000000000001', 100)]);
    const reserved = await hosts.get('host-a');
    await hosts.release([reservation('cpy-000000000001', 100)]);
    const released = await hosts.get('host-a');
    // Then
    expect(reserved?.diskAllocations?.a0).toEqual({ allocatedGiB: 100, allocatedIops: 10 });
    expect(reserved?.capacity.ssd?.allocatedGiB).toBe(100);
    expect(released?.diskAllocations?.a0).toEqual({ allocatedGiB: 0, allocatedIops: 0 });
    expect(released?.capacity.ssd?.allocatedGiB).toBe(0);
  });

  test("a reservation or a grow beyond its disk's room is refused although the pool has room", async () => {
    // Given
    const hosts = new InMemoryHostRepository();
    hosts.put(hostWithDisks('host-a', [disk('a0', 150), disk('a1', 150)]));
    await hosts.reserve([reservation('cpy-000000000001', 100)]);
    // When / Then
    await expect(hosts.reserve([reservation('cpy-000000000002', 60)])).rejects.toThrow(InsufficientCapacityError);
    await expect(hosts.resize(reservation('cpy-000000000001', 160))).rejects.toThrow(InsufficientCapacityError);
    expect((await hosts.get('host-a'))?.diskAllocations?.a0.allocatedGiB).toBe(100);
  });
});

describe('allocations per disk at registration', () => {
  const reported = [
    { deviceId: 'a0', type: 'ssd' as const, capacityGiB: 100, iopsCapacity: 1000, health: 'ok' as const },
    { deviceId: 'a1', type: 'ssd' as const, capacityGiB: 100, iopsCapacity: 1000, health: 'ok' as const },
  ];

  test('a re-registering host keeps what each disk holds, and a new disk starts at nothing', () => {
    // Given
    const existing = aHost({ diskAllocations: { a0: { allocatedGiB: 40, allocatedIops: 400 } }, capacity: { ssd: capacity({ allocatedGiB: 40, allocatedIops: 400 }) } });
    // When
    const allocations = diskAllocationsOf(reported, existing);
    // Then
    expect(allocations).toEqual({ a0: { allocatedGiB: 40, allocatedIops: 400 }, a1: { allocatedGiB: 0, allocatedIops: 0 } });
  });

  test('a host recorded before placement per disk that holds copies stays placed by its pool (which disk holds them was never recorded)', () => {
    // Given
    const existing = aHost({ capacity: { ssd: capacity({ allocatedGiB: 40, allocatedIops: 400 }) } });
    // When / Then
    expect(diskAllocationsOf(reported, existing)).toBeUndefined();
  });
});
