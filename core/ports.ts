import type { Host } from './host';
import type { HostCommand, HostCommandStatus } from './host-command';
import type { Volume, VolumeCopy, VolumeType } from './volume';
import type { ListVolumesQuery } from './volume-requests';

/** Where a page of a listing ended, as the store knows it; callers see it only sealed (core/page-token.ts). */
export type PageKey = Readonly<Record<string, unknown>>;

/** What to list: the query's filters and page size, and where the previous page ended. */
export type VolumeListing = Omit<ListVolumesQuery, 'nextToken'> & { readonly startKey?: PageKey };

export interface VolumePage {
  readonly volumes: readonly Volume[];
  readonly lastKey?: PageKey;
}

/** Outcome of storing a new volume under a client token. */
export type VolumeCreation =
  | { readonly created: true; readonly volume: Volume }
  | { readonly created: false; readonly existingVolumeId: string; readonly existingFingerprint: string };

export interface VolumeRepository {
  /** Stores a new volume; with a client token, at most one volume per (tenant, token). */
  create(volume: Volume, fingerprint: string): Promise<VolumeCreation>;
  get(volumeId: string): Promise<Volume | undefined>;
  listByTenant(tenantId: string, listing: VolumeListing): Promise<VolumePage>;
  /** Writes `volume` if the stored version is still `volume.version - 1`. */
  save(volume: Volume): Promise<void>;
}

/** Capacity promised to one copy of one volume on one host. */
export interface Reservation {
  readonly hostId: string;
  readonly volumeId: string;
  readonly copyId: string;
  readonly type: VolumeType;
  readonly sizeGiB: number;
  readonly iops: number;
}

export interface CapacityUpdate {
  readonly capacity: Host['capacity'];
  readonly expectedVersion: number;
}

export interface HostRepository {
  get(hostId: string): Promise<Host | undefined>;
  /** Creates the host, or updates a re-registering one while keeping its allocations. */
  register(host: Host): Promise<void>;
  /** A capacity change is written only over the version it was computed from (reservations bump the version). */
  recordHeartbeat(hostId: string, at: string, health: string, capacity?: CapacityUpdate): Promise<void>;
  listInLocation(location: string): Promise<readonly Host[]>;
  /** All-or-nothing: every reservation fits its host's free capacity at write time, or none is made. */
  reserve(reservations: readonly Reservation[]): Promise<void>;
  /** Releases whatever of these reservations still exists; releasing twice is harmless. */
  release(reservations: readonly Omit<Reservation, 'type' | 'sizeGiB' | 'iops'>[]): Promise<void>;
  reservationsOf(hostId: string): Promise<readonly Reservation[]>;
  /** Marks the host unreachable if its last heartbeat is still `seenHeartbeatAt`; false if it spoke since. */
  markUnreachable(hostId: string, seenHeartbeatAt: string): Promise<boolean>;
}

export interface HostCommandQueue {
  enqueue(command: HostCommand): Promise<void>;
  /** Pending commands visible now; each is hidden for a while after it is handed out. */
  takeVisible(hostId: string, now: Date, max: number): Promise<readonly HostCommand[]>;
  get(hostId: string, commandId: string): Promise<HostCommand | undefined>;
  /** Records the outcome once; returns false when another outcome was recorded first. */
  complete(
    hostId: string,
    commandId: string,
    status: Exclude<HostCommandStatus, 'pending'>,
    outcome: { result?: Record<string, unknown>; error?: { code: string; message: string } },
    at: Date,
  ): Promise<boolean>;
}

export interface VolumeWorkflows {
  startCreate(volumeId: string): Promise<void>;
  /** The copies travel with the request so the workflow knows which hosts to ask. */
  startDelete(volumeId: string, copies: readonly VolumeCopy[]): Promise<void>;
}

/** Recovery after a copy is lost (its host went silent or restarted, or its daemon died). */
export interface FailoverWorkflows {
  /** One workflow per lost copy: starting it twice for the same copy starts it once. */
  startFailover(volumeId: string, lostCopyId: string, reason: string): Promise<void>;
}

/** The control plane's secret for page tokens: the same bytes for every function of one deployment. */
export type PageTokenSecret = () => Promise<Uint8Array>;

export interface TaskCallbacks {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'expired'>;
  fail(taskToken: string, error: string, cause: string): Promise<'delivered' | 'expired'>;
}

