import { NotFoundError } from '../../errors';
import type { SnapshotRepository } from '../ports';
import type { Snapshot } from '../snapshot';
import { SnapshotStatus } from '../snapshot-status';

/** A tenant's snapshot; another tenant's, or a deleted one, is not found (never forbidden). */
export async function ownSnapshot(snapshots: Pick<SnapshotRepository, 'get'>, tenantId: string, snapshotId: string): Promise<Snapshot> {
  const snapshot = await snapshots.get(snapshotId);
  if (!snapshot || snapshot.tenantId !== tenantId || snapshot.status === SnapshotStatus.deleted) {
    throw new NotFoundError(`snapshot ${snapshotId} does not exist`, { snapshotId });
  }
  return snapshot;
}
