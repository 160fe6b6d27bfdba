/**
 * Deleting a snapshot marks it deleting and starts the chunk collection, which removes its
 * manifest and only the chunks no other live snapshot of the lineage names (chunk-references.ts).
 */
import type { SnapshotRepository, SnapshotWorkflows } from '../ports';
import { changeSnapshot, type Snapshot } from '../snapshot';
import { SnapshotStatus } from '../snapshot-status';
import { ownSnapshot } from './read-snapshots';

export interface DeleteSnapshotDeps {
  readonly snapshots: SnapshotRepository;
  readonly workflows: SnapshotWorkflows;
  readonly now: () => Date;
}

export async function deleteSnapshot(deps: DeleteSnapshotDeps, tenantId: string, snapshotId: string): Promise<Snapshot> {
  const snapshot = await ownSnapshot(deps.snapshots, tenantId, snapshotId);
  if (snapshot.status === SnapshotStatus.deleting) return snapshot;
  const deleting = changeSnapshot(snapshot, { type: 'delete-requested' }, deps.now());
  await deps.snapshots.save(deleting);
  await deps.workflows.startChunkCollection(deleting);
  return deleting;
}
