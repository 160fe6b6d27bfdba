/**
 * The snapshot a new volume is restored from (POST /volumes with `snapshotId`): the caller's own
 * (another tenant's, an unknown or a deleted one is 404), completed (else 409: nothing to restore
 * yet, or never), and no larger than the new volume (else 400).
 */
import { InvalidRequestError, InvalidStateError } from '../errors';
import type { SnapshotRepository } from './ports';
import type { Snapshot } from './snapshot';
import { SnapshotStatus } from './snapshot-status';
import { ownSnapshot } from './use-cases/read-snapshots';

export async function restoreSource(snapshots: Pick<SnapshotRepository, 'get'>, tenantId: string, snapshotId: string, sizeGiB: number): Promise<Snapshot> {
  const snapshot = await ownSnapshot(snapshots, tenantId, snapshotId);
  if (snapshot.status !== SnapshotStatus.completed) {
    throw new InvalidStateError(`snapshot ${snapshotId} is ${snapshot.status}; only a completed snapshot can be restored`, { snapshotId, status: snapshot.status });
  }
  if (sizeGiB < snapshot.sizeGiB) {
    throw new InvalidRequestError(`sizeGiB ${sizeGiB} is smaller than snapshot ${snapshotId} (${snapshot.sizeGiB} GiB); the volume must be at least as large`, {
      sizeGiB,
      snapshotSizeGiB: snapshot.sizeGiB,
    });
  }
  return snapshot;
}
