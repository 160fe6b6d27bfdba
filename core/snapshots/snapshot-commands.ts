import { InvalidStateError } from '../errors';
import type { HostCommandRequest } from '../copy-commands';
import { primaryOf, type Volume } from '../volume';
import type { Snapshot } from './snapshot';

/** Have the volume's primary take the snapshot's point in time and upload it (agent/snapshots). */
export function snapshotCopyCommand(volume: Volume, snapshot: Snapshot): HostCommandRequest {
  const primary = primaryOf(volume);
  if (!primary) throw new InvalidStateError(`volume ${volume.volumeId} has no primary copy to take snapshot ${snapshot.snapshotId} from`);
  return {
    hostId: primary.hostId,
    type: 'snapshot-copy',
    payload: { volumeId: volume.volumeId, copyId: primary.copyId, generation: volume.generation, snapshotId: snapshot.snapshotId },
  };
}
