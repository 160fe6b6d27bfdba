import { InvalidStateError } from '../errors';
import type { HostCommandRequest } from '../copy-commands';
import { primaryOf, type Volume } from '../volume';
import type { Snapshot } from './snapshot';
import { SnapshotStatus } from './snapshot-status';

/**
 * Have the volume's primary take the snapshot's point in time and upload it (agent/snapshots).
 * The parent is named when the host may read only what changed since it (docs/snapshots.md,
 * "Incremental"): it is completed and of the same size, so each chunk it does not list as
 * changed is the parent's entry at the same index.
 */
export function snapshotCopyCommand(volume: Volume, snapshot: Snapshot, parent?: Snapshot): HostCommandRequest {
  const primary = primaryOf(volume);
  if (!primary) throw new InvalidStateError(`volume ${volume.volumeId} has no primary copy to take snapshot ${snapshot.snapshotId} from`);
  const incremental = parent !== undefined && parent.snapshotId === snapshot.parentSnapshotId && parent.status === SnapshotStatus.completed && parent.sizeGiB === snapshot.sizeGiB;
  return {
    hostId: primary.hostId,
    type: 'snapshot-copy',
    payload: {
      volumeId: volume.volumeId,
      copyId: primary.copyId,
      generation: volume.generation,
      snapshotId: snapshot.snapshotId,
      ...(incremental ? { parentSnapshotId: parent.snapshotId } : {}),
    },
  };
}
