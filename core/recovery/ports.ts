import type { Admission } from './recovery-batch';
import type { RecoveryNotice } from './recovery-notice';
import type { VolumeRecovery } from './volume-recovery';

export interface RecoveryRepository {
  get(volumeId: string): Promise<VolumeRecovery | undefined>;
  /** Writes `recovery` if the stored version is still `recovery.version - 1` (0: none stored yet); else VersionConflictError. */
  save(recovery: VolumeRecovery): Promise<void>;
  /** Recoveries with a deadline (a quarantined copy's deletion, the auto-archive) at or before `now`, at most `limit`. */
  listDue(now: Date, limit: number): Promise<readonly VolumeRecovery[]>;
}

/** Owner notices on a volume (`GET /volumes/{id}/events`), newest first when listed. */
export interface VolumeEventLog {
  append(notice: RecoveryNotice): Promise<void>;
  list(volumeId: string, limit: number): Promise<readonly RecoveryNotice[]>;
}

/** The mass-recovery batch (core/recovery/recovery-batch.ts), shared by every report handler. */
export interface RecoveryBatch {
  admit(hostId: string, now: Date): Promise<Admission>;
  release(hostId: string): Promise<void>;
  /** The hosts that hold a place now. */
  holders(now: Date): Promise<readonly string[]>;
}

/**
 * The snapshot step (the snapshots issue). Until it is wired, the implementation refuses with
 * SnapshotsUnavailableError, which the API answers as 409.
 */
export interface SnapshotRequests {
  requestSnapshot(volumeId: string, reason: string): Promise<{ readonly snapshotId: string }>;
}
