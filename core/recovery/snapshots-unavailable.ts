import { SnapshotsUnavailableError } from './errors';
import type { SnapshotRequests } from './ports';

/**
 * The snapshot step until the snapshots feature is wired (docs/recovery.md, "Limits"): every
 * request is refused with SnapshotsUnavailableError (409), so `snapshot` and `archive` change nothing.
 */
export class SnapshotsUnavailable implements SnapshotRequests {
  async requestSnapshot(volumeId: string, reason: string): Promise<{ readonly snapshotId: string }> {
    throw new SnapshotsUnavailableError('snapshots are not available yet; choose enable or delete, or try again once snapshots exist', { volumeId, reason });
  }
}
