import { InsufficientCapacityError } from '../../../core/errors';
import { HostStatus } from '../../../core/host';
import { placeCopies, placeReplacementMirror, type PlacementRequest } from '../../../core/placement';
import { aHost, capacity } from '../fakes/builders';

const request: PlacementRequest = { sizeGiB: 100, iops: 3000, type: 'ssd', location: 'zone-a' };

function placementError(run: () => unknown): InsufficientCapacityError {
  try {
    run();
  } catch (error) {
    if (error instanceof InsufficientCapacityError) return error;
    throw error;
  }
  throw new Error('expected InsufficientCapacityError');
}

describe('placeCopies', () => {
  test('when two hosts fit, it places the primary and the mirror on two distinct hosts', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })];
    // When
    const [primary, mirror] = placeCopies(request, hosts);
    // Then
    expect(primary.role).toBe('primary');
    expect(mirror.role).toBe('mirror');
    expect(primary.hostId).not.toBe(mirror.hostId);
    expect([primary.hostId, mirror.hostId].sort()).toEqual(['host-a', 'host-b']);
  });

  test('when a host is unreachable, it is never chosen even if it is the emptiest', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', status: HostStatus.unreachable }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
    ];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-b', 'host-c']);
  });

  test('when a host is in another location, it is never chosen', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', location: 'zone-b' }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
    ];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-b', 'host-c']);
  });

  test('when the free capacity equals the volume size exactly, it accepts the host', () => {
    // Given
    const exact = capacity({ capacityGiB: 1000, allocatedGiB: 900 });
    const hosts = [aHost({ hostId: 'host-a', capacity: { ssd: exact } }), aHost({ hostId: 'host-b', capacity: { ssd: exact } })];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-a', 'host-b']);
  });

  test('when a host is one GiB short of the volume size, it refuses that host', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', capacity: { ssd: capacity({ capacityGiB: 1000, allocatedGiB: 901 }) } }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ capacityGiB: 1000, allocatedGiB: 900 }) } }),
    ];
    // When
    const error = placementError(() => placeCopies(request, hosts));
    // Then
    expect(error.details).toMatchObject({ eligibleHosts: 1 });
  });

  test('when the free IOPS equal the committed IOPS exactly, it accepts the host', () => {
    // Given
    const exact = capacity({ iopsCapacity: 10_000, allocatedIops: 7000 });
    const hosts = [aHost({ hostId: 'host-a', capacity: { ssd: exact } }), aHost({ hostId: 'host-b', capacity: { ssd: exact } })];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-a', 'host-b']);
  });

  test('when a host is one IOPS short of the committed IOPS, it refuses that host', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', capacity: { ssd: capacity({ iopsCapacity: 10_000, allocatedIops: 7001 }) } }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ iopsCapacity: 10_000, allocatedIops: 7000 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ iopsCapacity: 10_000, allocatedIops: 7000 }) } }),
    ];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-b', 'host-c']);
  });

  test('when hosts differ in load, it makes the least utilised host the primary and the next one the mirror', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ allocatedGiB: 100 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 300 }) } }),
    ];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement).toEqual([
      { hostId: 'host-b', role: 'primary' },
      { hostId: 'host-c', role: 'mirror' },
    ]);
  });

  test('when a host has free space but busy IOPS, it ranks it by the larger of the two utilisations', () => {
    // Given: host-a is 10% full but 90% of its IOPS are committed; host-c is 40% full and idle
    const hosts = [
      aHost({ hostId: 'host-a', capacity: { ssd: capacity({ allocatedGiB: 100, iopsCapacity: 100_000, allocatedIops: 90_000 }) } }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ allocatedGiB: 200 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 400 }) } }),
    ];
    // When
    const placement = placeCopies(request, hosts);
    // Then
    expect(placement.map((c) => c.hostId)).toEqual(['host-b', 'host-c']);
  });

  test('when hosts are equally utilised, it breaks the tie by host id whatever the input order', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-c' }), aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })];
    // When
    const forward = placeCopies(request, hosts);
    const backward = placeCopies(request, [...hosts].reverse());
    // Then
    expect(forward.map((c) => c.hostId)).toEqual(['host-a', 'host-b']);
    expect(backward).toEqual(forward);
  });

  test('when only one host is eligible, it throws InsufficientCapacityError saying what was asked and how many fit', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b', status: HostStatus.unreachable })];
    // When
    const error = placementError(() => placeCopies(request, hosts));
    // Then
    expect(error.code).toBe('InsufficientCapacity');
    expect(error.details).toEqual({ location: 'zone-a', type: 'ssd', sizeGiB: 100, iops: 3000, eligibleHosts: 1 });
    expect(error.message).toContain('zone-a');
    expect(error.message).toContain('found 1');
  });

  test('when there are no hosts at all, it throws InsufficientCapacityError with zero eligible hosts', () => {
    // Given
    const hosts: never[] = [];
    // When
    const error = placementError(() => placeCopies(request, hosts));
    // Then
    expect(error.details).toMatchObject({ eligibleHosts: 0 });
  });

  test('when hosts only offer the other storage type, it ignores them', () => {
    // Given
    const hdd = { hdd: capacity({ capacityGiB: 100_000, iopsCapacity: 100_000 }) };
    const hosts = [aHost({ hostId: 'host-a', capacity: hdd }), aHost({ hostId: 'host-b', capacity: hdd }), aHost({ hostId: 'host-c' })];
    // When
    const error = placementError(() => placeCopies(request, hosts));
    // Then
    expect(error.details).toMatchObject({ type: 'ssd', eligibleHosts: 1 });
  });

  test('when a host offers both types, it judges the host by the requested type only', () => {
    // Given: host-a has a full ssd tier and an empty hdd tier
    const hosts = [
      aHost({ hostId: 'host-a', capacity: { ssd: capacity({ allocatedGiB: 1000 }), hdd: capacity() } }),
      aHost({ hostId: 'host-b', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
    ];
    // When
    const ssd = placeCopies(request, hosts);
    const hdd = () => placeCopies({ ...request, type: 'hdd', iops: 100 }, hosts);
    // Then
    expect(ssd.map((c) => c.hostId)).toEqual(['host-b', 'host-c']);
    expect(placementError(hdd).details).toMatchObject({ type: 'hdd', eligibleHosts: 1 });
  });
});

describe('placeReplacementMirror', () => {
  test('when hosts are excluded, it picks the least utilised host among the others as the mirror', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a' }),
      aHost({ hostId: 'host-b' }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 300 }) } }),
      aHost({ hostId: 'host-d', capacity: { ssd: capacity({ allocatedGiB: 200 }) } }),
    ];
    // When
    const mirror = placeReplacementMirror(request, hosts, ['host-a', 'host-b']);
    // Then
    expect(mirror).toEqual({ hostId: 'host-d', role: 'mirror' });
  });

  test('when only excluded, unreachable or full hosts remain, it throws InsufficientCapacityError naming the exclusions', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a' }),
      aHost({ hostId: 'host-b', status: HostStatus.unreachable }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 901 }) } }),
    ];
    // When
    const error = placementError(() => placeReplacementMirror(request, hosts, ['host-a']));
    // Then
    expect(error.details).toEqual({ location: 'zone-a', excludedHostIds: ['host-a'] });
  });
});
