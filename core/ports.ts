import type { DiskTotals } from './disk-totals';
import type { Host, RegisteredDisk } from './host';
import type { SweepContinuity } from './sweep-continuity';
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
  /** The disk it is promised on; absent on a host placed by its pool alone (core/disk-placement.ts). */
  readonly deviceId?: string;
}

/** A reservation released from a host, remembered for FORMER_DEPENDENCY_SECONDS (docs/health.md, "Former dependents"). */
export interface FormerReservation {
  readonly hostId: string;
  readonly volumeId: string;
  readonly copyId: string;
  readonly goneAt: string;
}


export interface HostRepository {
  get(hostId: string): Promise<Host | undefined>;
  /** Creates the host, or updates a re-registering one while keeping its allocations. */
  register(host: Host): Promise<void>;
  /**
   * Records liveness and, when given, the disks' totals per type and the disks as reported. Never
   * conditional on the host's version and never touching allocations, so a concurrent reservation
   * cannot make a heartbeat fail (a reservation is the one that retries when the totals change under it).
   */
  recordHeartbeat(hostId: string, at: string, health: string, totals?: Partial<Record<VolumeType, DiskTotals>>, disks?: readonly RegisteredDisk[]): Promise<void>;
  listInLocation(location: string): Promise<readonly Host[]>;
  /** All-or-nothing: every reservation fits its host's free capacity at write time, or none is made. */
  reserve(reservations: readonly Reservation[]): Promise<void>;
  /** Releases whatever of these reservations still exists; releasing twice is harmless. */
  release(reservations: readonly Omit<Reservation, 'type' | 'sizeGiB' | 'iops'>[]): Promise<void>;
  reservationsOf(hostId: string): Promise<readonly Reservation[]>;
  /** The reservations released from the host within the last FORMER_DEPENDENCY_SECONDS. */
  formerReservationsOf(hostId: string): Promise<readonly FormerReservation[]>;
  /**
   * Changes an existing reservation to `reservation`'s size and IOPS, moving the host's allocation
   * by the difference in one write; an increase that no longer fits is refused with
   * InsufficientCapacityError and changes nothing (an in-place modification, docs/modification.md).
   */
  resize(reservation: Reservation): Promise<void>;
  /**
   * Binds a host principal to one host id (a principal holds one host id at a time). Returns
   * the host id the principal was bound to before, when it was another one.
   */
  bindPrincipal(principalArn: string, hostId: string): Promise<string | undefined>;
  /** The host id a principal is bound to; undefined for a principal that never registered since bindings exist. */
  hostIdOf(principalArn: string): Promise<string | undefined>;
  /** Marks the host unreachable if its last heartbeat is still `seenHeartbeatAt`; false if it spoke since. */
  markUnreachable(hostId: string, seenHeartbeatAt: string): Promise<boolean>;
}

export interface HostCommandQueue {
  enqueue(command: HostCommand): Promise<void>;
  /** Pending commands visible now; each is hidden for a while after it is handed out. */
  takeVisible(hostId: string, now: Date, max: number): Promise<readonly HostCommand[]>;
  /** Makes taken commands that are still pending visible again now (a poll that could not hand them out). */
  release(hostId: string, commandIds: readonly string[], now: Date): Promise<void>;
  get(hostId: string, commandId: string): Promise<HostCommand | undefined>;
  /** Records the outcome once; returns false when another outcome was recorded first. */
  complete(
    hostId: string,
    commandId: string,
    status: Exclude<HostCommandStatus, 'pending'>,
    outcome: { result?: Record<string, unknown>; error?: { code: string; message: string } },
    at: Date,
  ): Promise<boolean>;
  /** Records progress on a pending command; false when it is no longer pending. */
  recordProgress(hostId: string, commandId: string, progress: { current?: number; total?: number }, at: Date): Promise<boolean>;
  /** The host's pending commands a workflow waits for whose last progress (or creation) is before `before`. */
  stalled(hostId: string, before: Date): Promise<readonly HostCommand[]>;
  /** Deletes up to `maxItems` commands whose result was recorded before `completedBefore`; returns how many. */
  purgeFinished(completedBefore: Date, maxItems: number): Promise<number>;
}

export interface VolumeWorkflows {
  /** One creation workflow per volume: starting it twice starts it once. */
  startCreate(volumeId: string): Promise<void>;
  /**
   * One deletion workflow per `deleting` record: the execution is keyed by the volume's version,
   * so a repeated DELETE of a `deleting` volume starts nothing new, while a DELETE after a failed
   * deletion (a new `deleting` version) starts a new attempt. The copies travel with the request
   * so the workflow knows which hosts to ask.
   */
  startDelete(volumeId: string, version: number, copies: readonly VolumeCopy[]): Promise<void>;
}

/** Recovery after a copy is lost (its host went silent or restarted, or its daemon died). */
export interface FailoverWorkflows {
  /**
   * One workflow per lost copy and volume version (the version the loss was judged at): two
   * triggers for the same loss start one workflow, and the workflow itself decides from the
   * record (a copy already taken out is left alone), so names never make a later attempt impossible.
   */
  startFailover(volumeId: string, lostCopyId: string, reason: string, volumeVersion: number): Promise<void>;
}

/** A page of the fleet's hosts, in a stable order, for sweeps that go through it in bounded batches. */
export interface HostPage {
  readonly hosts: readonly Host[];
  /** Where the next batch starts; absent after the last one. */
  readonly nextCursor?: string;
}

/** What the silent-host sweep keeps between passes: its continuity and where its next batch starts. */
export interface SweepState {
  readonly continuity?: SweepContinuity;
  readonly cursor?: string;
}

export interface HostSweepStore {
  load(): Promise<SweepState>;
  save(state: SweepState): Promise<void>;
  /** At most `limit` hosts from `cursor` on (from the start without one). */
  listHosts(cursor: string | undefined, limit: number): Promise<HostPage>;
}

/** The control plane's secret for page tokens: the same bytes for every function of one deployment. */
export type PageTokenSecret = () => Promise<Uint8Array>;

export interface TaskCallbacks {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'expired'>;
  fail(taskToken: string, error: string, cause: string): Promise<'delivered' | 'expired'>;
  /** Tells the waiting task its host is making progress (Step Functions `SendTaskHeartbeat`). */
  heartbeat(taskToken: string): Promise<'delivered' | 'expired'>;
}


/** Per-tenant request counting for the customer routes (a fixed window per second). */
export interface TenantRequestQuota {
  /** Counts one request of `tenantId` at `now`; false when the tenant's window is already full. */
  take(tenantId: string, now: Date): Promise<boolean>;
}
