/**
 * "Take a snapshot of volume X": records a pending snapshot whose parent is the lineage's newest
 * completed one and starts its workflow. The API route and other use cases (recovery) call this.
 */
import { InvalidStateError, NotFoundError } from '../../errors';
import type { VolumeRepository } from '../../ports';
import { SERVING_STATUSES } from '../../volume-status';
import type { SnapshotRepository, SnapshotWorkflows } from '../ports';
import { pendingSnapshot, type Snapshot } from '../snapshot';
import type { CreateSnapshotRequest } from '../snapshot-requests';
import { SnapshotStatus } from '../snapshot-status';

export interface TakeSnapshotDeps {
  readonly volumes: VolumeRepository;
  readonly snapshots: SnapshotRepository;
  readonly workflows: SnapshotWorkflows;
  readonly now: () => Date;
}

export async function takeSnapshot(deps: TakeSnapshotDeps, tenantId: string, volumeId: string, request: CreateSnapshotRequest): Promise<Snapshot> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  if (!SERVING_STATUSES.includes(volume.status)) {
    throw new InvalidStateError(`volume ${volumeId} is ${volume.status}; a snapshot needs a serving volume (${SERVING_STATUSES.join(', ')})`, { status: volume.status });
  }
  // A volume's own id names its lineage: its snapshots share chunks with each other.
  const lineage = await deps.snapshots.lineage(volumeId);
  if (lineage.some((snapshot) => snapshot.status === SnapshotStatus.pending && snapshot.clientToken !== request.clientToken)) {
    throw new InvalidStateError(`volume ${volumeId} already has a snapshot in progress; wait for it to complete`, { volumeId });
  }
  const parent = [...lineage].reverse().find((snapshot) => snapshot.status === SnapshotStatus.completed);
  const candidate = pendingSnapshot({
    tenantId,
    volumeId,
    lineageId: volumeId,
    parentSnapshotId: parent?.snapshotId,
    sizeGiB: volume.sizeGiB,
    description: request.description,
    clientToken: request.clientToken,
    now: deps.now(),
  });
  const creation = await deps.snapshots.create(candidate);
  if (!creation.created) {
    const existing = await deps.snapshots.get(creation.existingSnapshotId);
    if (!existing || existing.volumeId !== volumeId) throw new InvalidStateError(`clientToken was already used for another snapshot`, { clientToken: request.clientToken });
    return existing;
  }
  await deps.workflows.startSnapshot(creation.snapshot);
  return creation.snapshot;
}
