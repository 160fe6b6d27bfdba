import type { VolumeType } from './volume';

export const HostStatus = {
  active: 'active',
  unreachable: 'unreachable',
} as const;
export type HostStatus = (typeof HostStatus)[keyof typeof HostStatus];

/** Capacity a host offers for one storage type, and how much of it is promised. */
export interface TypeCapacity {
  readonly capacityGiB: number;
  readonly allocatedGiB: number;
  readonly iopsCapacity: number;
  readonly allocatedIops: number;
}

/** One disk as its host reports it: what it can hold for copies (core/host-requests.ts, DiskSchema). */
export interface RegisteredDisk {
  readonly deviceId: string;
  readonly type: VolumeType;
  readonly health: string;
  readonly capacityGiB?: number;
  readonly iopsCapacity?: number;
}

/** What the control plane promised on one disk. */
export interface DiskAllocation {
  readonly allocatedGiB: number;
  readonly allocatedIops: number;
}

export interface Host {
  readonly hostId: string;
  readonly location: string;
  /** The rack the host is in (docs/health.md, "Topology"); absent: the zone's rack `default`. */
  readonly rack?: string;
  /**
   * The disks as last reported (health topology, placement per disk); absent on hosts registered
   * before it was kept, and without sizes on hosts registered before placement per disk.
   */
  readonly disks?: readonly RegisteredDisk[];
  /**
   * What is promised on each disk, by deviceId (docs/api.md, "Placement"). Absent on hosts
   * registered before placement per disk: their copies are placed by the type's pool alone.
   */
  readonly diskAllocations?: Readonly<Record<string, DiskAllocation>>;
  /** Where clients and peers reach this host's NBD exports. */
  readonly address: string;
  readonly agentVersion: string;
  readonly principalArn: string;
  readonly status: HostStatus;
  readonly health: string;
  readonly capacity: Readonly<Partial<Record<VolumeType, TypeCapacity>>>;
  readonly lastHeartbeatAt: string;
  readonly registeredAt: string;
  /**
   * When the host's agent last registered (each start). A long poll started before it belongs to
   * an agent that is gone: it hands out nothing (poll-commands.ts). Absent on hosts registered
   * before it was recorded.
   */
  readonly sessionStartedAt?: string;
  readonly version: number;
}

/**
 * Admission control: a host never promises more than it has. Capacity is not
 * oversubscribed (copies are preallocated files); committed IOPS are not either,
 * so a noisy neighbour cannot push a volume below its commitment.
 */
export const OVERSUBSCRIPTION = { capacity: 1.0, iops: 1.0 } as const;

export function freeGiB(c: TypeCapacity): number {
  return c.capacityGiB * OVERSUBSCRIPTION.capacity - c.allocatedGiB;
}

export function freeIops(c: TypeCapacity): number {
  return c.iopsCapacity * OVERSUBSCRIPTION.iops - c.allocatedIops;
}
