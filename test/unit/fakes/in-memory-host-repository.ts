import type { DiskTotals } from '../../../core/disk-totals';
import { InsufficientCapacityError, NotFoundError, VersionConflictError } from '../../../core/errors';
import { diskAllocationOf, diskCanTake, placesPerDisk } from '../../../core/disk-placement';
import { freeGiB, freeIops, type Host, type RegisteredDisk, type TypeCapacity } from '../../../core/host';
import { FORMER_DEPENDENCY_SECONDS } from '../../../core/health/dependency-memory';
import type { FormerReservation, HostRepository, Reservation } from '../../../core/ports';
import type { VolumeType } from '../../../core/volume';

type ReservationKey = Omit<Reservation, 'type' | 'sizeGiB' | 'iops'>;
const keyOf = (r: ReservationKey) => `${r.hostId}#${r.volumeId}#${r.copyId}`;

/**
 * HostRepository in memory, with the semantics of the DynamoDB adapter: `register` writes
 * the whole host over the version it read; `reserve` is all-or-nothing and refuses with
 * InsufficientCapacityError; `release` gives back what still exists and ignores the rest.
 */
export class InMemoryHostRepository implements HostRepository {
  private readonly hosts = new Map<string, Host>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly formers: FormerReservation[] = [];
  private readonly bindings = new Map<string, string>();
  private readonly beforeReserve: ((reservations: readonly Reservation[]) => Promise<void>)[] = [];
  private interleaving = false;
  reserveCalls = 0;

  /** Seeds a stored host, bypassing the version check. */
  put(host: Host): Host {
    this.hosts.set(host.hostId, host);
    return host;
  }

  /**
   * Runs `interleave` just before each of the next `times` reserve calls (not those it makes
   * itself), as a concurrent placement would; it sees the reservations about to be made.
   */
  interleaveBeforeReserve(interleave: (reservations: readonly Reservation[]) => Promise<void>, times = 1): void {
    for (let i = 0; i < times; i++) this.beforeReserve.push(interleave);
  }

  all(): Host[] {
    return [...this.hosts.values()];
  }

  allReservations(): Reservation[] {
    return [...this.reservations.values()];
  }

  async get(hostId: string): Promise<Host | undefined> {
    return this.hosts.get(hostId);
  }

  async register(host: Host): Promise<void> {
    const stored = this.hosts.get(host.hostId);
    const expected = host.version === 1 ? undefined : host.version - 1;
    if (stored?.version !== expected) {
      throw new VersionConflictError(`host ${host.hostId} was changed by another writer`, { hostId: host.hostId });
    }
    this.hosts.set(host.hostId, host);
  }

  async recordHeartbeat(hostId: string, at: string, health: string, totals: Partial<Record<VolumeType, DiskTotals>> = {}, disks?: readonly RegisteredDisk[]): Promise<void> {
    const stored = this.hosts.get(hostId);
    if (!stored) throw new NotFoundError(`host ${hostId} is not registered`, { hostId });
    const capacity: Partial<Record<VolumeType, TypeCapacity>> = { ...stored.capacity };
    for (const [type, total] of Object.entries(totals) as [VolumeType, DiskTotals][]) {
      capacity[type] = { allocatedGiB: 0, allocatedIops: 0, ...capacity[type], ...total };
    }
    this.hosts.set(hostId, { ...stored, lastHeartbeatAt: at, health, status: 'active', capacity, ...(disks ? { disks } : {}) });
  }

  async listInLocation(location: string): Promise<readonly Host[]> {
    return [...this.hosts.values()].filter((host) => host.location === location);
  }

  async reserve(reservations: readonly Reservation[]): Promise<void> {
    this.reserveCalls += 1;
    const interleave = this.interleaving ? undefined : this.beforeReserve.shift();
    if (interleave) {
      this.interleaving = true;
      try {
        await interleave(reservations);
      } finally {
        this.interleaving = false;
      }
    }
    const updated = new Map<string, Host>();
    for (const r of reservations) {
      const host = updated.get(r.hostId) ?? this.hosts.get(r.hostId);
      const current = host?.capacity[r.type];
      if (!host || !current || freeGiB(current) < r.sizeGiB || freeIops(current) < r.iops || !diskFits(host, r.deviceId, r.sizeGiB, r.iops) || this.reservations.has(keyOf(r))) {
        throw new InsufficientCapacityError(`host ${r.hostId} no longer has room for copy ${r.copyId}`, { hostId: r.hostId });
      }
      updated.set(r.hostId, withAllocation(host, r, +1));
    }
    for (const [hostId, host] of updated) this.hosts.set(hostId, host);
    for (const r of reservations) this.reservations.set(keyOf(r), { ...r });
  }

  async release(reservations: readonly ReservationKey[]): Promise<void> {
    for (const wanted of reservations) {
      const reservation = this.reservations.get(keyOf(wanted));
      if (!reservation) continue;
      this.reservations.delete(keyOf(wanted));
      this.formers.push({ hostId: wanted.hostId, volumeId: wanted.volumeId, copyId: wanted.copyId, goneAt: new Date().toISOString() });
      const host = this.hosts.get(wanted.hostId);
      if (host) this.hosts.set(host.hostId, withAllocation(host, reservation, -1));
    }
  }

  async reservationsOf(hostId: string): Promise<readonly Reservation[]> {
    return this.allReservations().filter((r) => r.hostId === hostId);
  }

  async formerReservationsOf(hostId: string): Promise<readonly FormerReservation[]> {
    const since = Date.now() - FORMER_DEPENDENCY_SECONDS * 1000;
    return this.formers.filter((f) => f.hostId === hostId && Date.parse(f.goneAt) >= since);
  }

  async resize(wanted: Reservation): Promise<void> {
    const held = this.reservations.get(keyOf(wanted));
    if (!held) throw new NotFoundError(`copy ${wanted.copyId} holds no reservation on host ${wanted.hostId}`, { hostId: wanted.hostId });
    const delta = { ...held, sizeGiB: wanted.sizeGiB - held.sizeGiB, iops: wanted.iops - held.iops };
    const host = this.hosts.get(wanted.hostId);
    const current = host?.capacity[held.type];
    if (!host || !current || freeGiB(current) < delta.sizeGiB || freeIops(current) < delta.iops || !diskFits(host, held.deviceId, delta.sizeGiB, delta.iops)) {
      throw new InsufficientCapacityError(`host ${wanted.hostId} has no room to grow copy ${wanted.copyId}`, { hostId: wanted.hostId });
    }
    this.hosts.set(host.hostId, withAllocation(host, delta, +1));
    this.reservations.set(keyOf(wanted), { ...held, sizeGiB: wanted.sizeGiB, iops: wanted.iops });
  }

  async bindPrincipal(principalArn: string, hostId: string): Promise<string | undefined> {
    const previous = this.bindings.get(principalArn);
    this.bindings.set(principalArn, hostId);
    return previous !== undefined && previous !== hostId ? previous : undefined;
  }

  async hostIdOf(principalArn: string): Promise<string | undefined> {
    return this.bindings.get(principalArn);
  }

  async markUnreachable(hostId: string, seenHeartbeatAt: string): Promise<boolean> {
    const stored = this.hosts.get(hostId);
    if (!stored || stored.lastHeartbeatAt !== seenHeartbeatAt || stored.status === 'unreachable') return false;
    this.hosts.set(hostId, { ...stored, status: 'unreachable', version: stored.version + 1 });
    return true;
  }
}

function diskFits(host: Host, deviceId: string | undefined, gib: number, iops: number): boolean {
  return deviceId === undefined || (placesPerDisk(host) && diskCanTake(host, deviceId, gib, iops));
}

function withAllocation(host: Host, r: Reservation, sign: 1 | -1): Host {
  const current = host.capacity[r.type] as TypeCapacity;
  const disk = r.deviceId === undefined ? undefined : diskAllocationOf(host, r.deviceId);
  return {
    ...host,
    ...(r.deviceId !== undefined && disk
      ? {
          diskAllocations: {
            ...host.diskAllocations,
            [r.deviceId]: { allocatedGiB: disk.allocatedGiB + sign * r.sizeGiB, allocatedIops: disk.allocatedIops + sign * r.iops },
          },
        }
      : {}),
    capacity: {
      ...host.capacity,
      [r.type]: {
        ...current,
        allocatedGiB: current.allocatedGiB + sign * r.sizeGiB,
        allocatedIops: current.allocatedIops + sign * r.iops,
      },
    },
    version: host.version + 1,
  };
}
