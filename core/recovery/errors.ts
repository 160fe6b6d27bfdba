import { InvalidStateError } from '../errors';

/** Snapshots are not wired to recovery yet (docs/recovery.md, "Limits"): snapshot and archive answer 409. */
export class SnapshotsUnavailableError extends InvalidStateError {
  override readonly code: string = 'SnapshotsUnavailable';
}

/** A recovery decision that does not fit the recovery's state (for instance enable on a quarantine). */
export class RecoveryStateError extends InvalidStateError {
  override readonly code: string = 'InvalidRecoveryState';
}
