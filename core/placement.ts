import { chooseDisk, placesPerDisk } from './disk-placement';
import { InsufficientCapacityError } from './errors';
import { freeGiB, freeIops, HostStatus, type Host, type RegisteredDisk, type TypeCapacity } from './host';
import type { CopyRole, VolumeType } from './volume';

export interface PlacementRequest {
  readonly sizeGiB: number;
  readonly iops: number;
  readonly type: VolumeType;
  readonly location: string;
}

export interface PlacedCopy {
  readonly hostId: string;
  readonly role: CopyRole;
  /** The disk chosen on the host (core/disk-placement.ts); absent for a host placed by its pool alone. */
  readonly deviceId?: string;
}

/**
 * Chooses two distinct active hosts in the requested location that can hold the volume's
 * size and committed IOPS for its type. Among those that fit, the least utilised host
 * (by the larger of its capacity and IOPS utilisation after placement) becomes the
 * primary and the next one the mirror, so load spreads across the fleet. Ties are broken
 * by host id so the choice is deterministic.
 */
export function placeCopies(request: PlacementRequest, hosts: readonly Host[]): readonly [PlacedCopy, PlacedCopy] {
  const candidates = rankHosts(request, hosts, []);
  if (candidates.length < 2) {
    throw new InsufficientCapacityError(
      `need 2 distinct active hosts in ${request.location} with ${request.sizeGiB} GiB ${request.type} and ${request.iops} IOPS free on one disk; found ${candidates.length}`,
      { location: request.location, type: request.type, sizeGiB: request.sizeGiB, iops: request.iops, eligibleHosts: candidates.length },
    );
  }
  return [
    { hostId: candidates[0].hostId, role: 'primary', ...deviceOf(candidates[0]) },
    { hostId: candidates[1].hostId, role: 'mirror', ...deviceOf(candidates[1]) },
  ];
}

/**
 * Chooses a host for a new mirror of a volume that already has copies on `excludedHostIds`
 * (its surviving primary and any host that lost a copy), by the same ranking.
 */
export function placeReplacementMirror(request: PlacementRequest, hosts: readonly Host[], excludedHostIds: readonly string[]): PlacedCopy {
  const [best] = rankHosts(request, hosts, excludedHostIds);
  if (!best) {
    throw new InsufficientCapacityError(
      `no other active host in ${request.location} has ${request.sizeGiB} GiB ${request.type} and ${request.iops} IOPS free on one disk for a new mirror`,
      { location: request.location, excludedHostIds },
    );
  }
  return { hostId: best.hostId, role: 'mirror', ...deviceOf(best) };
}

const deviceOf = (ranked: RankedHost): { deviceId?: string } => (ranked.deviceId === undefined ? {} : { deviceId: ranked.deviceId });

export interface RankedHost {
  readonly hostId: string;
  readonly utilisation: number;
  /** The disk the copy would go to (core/disk-placement.ts); absent for a host placed by its pool alone. */
  readonly deviceId?: string;
}

/** Whether a host can take the copy: its pool of the type and, placed per disk, the disk it would go to; or why not, in words that name no host. */
type Assessment = { readonly refusal: string } | { readonly refusal?: undefined; readonly capacity: TypeCapacity; readonly disk?: RegisteredDisk };

function assess(request: PlacementRequest, host: Host): Assessment {
  if (host.status !== HostStatus.active) return { refusal: host.status };
  const capacity = host.capacity[request.type];
  if (!capacity) return { refusal: `without ${request.type} disks` };
  if (freeGiB(capacity) < request.sizeGiB || freeIops(capacity) < request.iops) return { refusal: `without room in its ${request.type} pool` };
  if (!placesPerDisk(host)) return { capacity };
  const disk = chooseDisk(host, request.type, request.sizeGiB, request.iops);
  return disk ? { capacity, disk } : { refusal: `without room on any one ${request.type} disk` };
}

/**
 * How many hosts of the location (but the excluded) were refused for each reason ("1 unreachable,
 * 2 without room on any one ssd disk"), for an error a tenant may read: counts, never host ids or sizes.
 */
export function refusalsIn(request: PlacementRequest, hosts: readonly Host[], excludedHostIds: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const host of hosts) {
    if (host.location !== request.location || excludedHostIds.includes(host.hostId)) continue;
    const { refusal } = assess(request, host);
    if (refusal !== undefined) counts.set(refusal, (counts.get(refusal) ?? 0) + 1);
  }
  return counts.size === 0 ? 'no other host' : [...counts].map(([refusal, count]) => `${count} ${refusal}`).join(', ');
}

/**
 * Active hosts in the location that fit the request, least utilised first (ties by host id). A host
 * placed per disk fits only when one of its disks holds the whole copy; the host's pool must fit too.
 */
export function rankHosts(request: PlacementRequest, hosts: readonly Host[], excludedHostIds: readonly string[]): RankedHost[] {
  return hosts
    .filter((host) => host.location === request.location && !excludedHostIds.includes(host.hostId))
    .flatMap((host) => {
      const fit = assess(request, host);
      if (fit.refusal !== undefined) return [];
      const { capacity, disk } = fit;
      const utilisation = Math.max(
        (capacity.allocatedGiB + request.sizeGiB) / capacity.capacityGiB,
        capacity.iopsCapacity === 0 ? 1 : (capacity.allocatedIops + request.iops) / capacity.iopsCapacity,
      );
      return [{ hostId: host.hostId, utilisation, ...(disk ? { deviceId: disk.deviceId } : {}) }];
    })
    .sort((a, b) => a.utilisation - b.utilisation || a.hostId.localeCompare(b.hostId));
}
