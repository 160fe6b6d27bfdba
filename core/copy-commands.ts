import type { HostCommandType } from './host-command';
import { mirrorOf, primaryOf, type Volume, type VolumeCopy } from './volume';

/** A command for one host, in the shape the workflows hand to `send-host-command`. */
export interface HostCommandRequest {
  readonly hostId: string;
  readonly type: HostCommandType;
  readonly payload: Record<string, unknown>;
}

/** Build a copy: a primary gets the client key for its export, a mirror only the replication key. */
export function createCopyCommand(volume: Volume, copy: VolumeCopy): HostCommandRequest {
  return {
    hostId: copy.hostId,
    type: 'create-copy',
    payload: {
      volumeId: volume.volumeId,
      copyId: copy.copyId,
      role: copy.role,
      sizeGiB: volume.sizeGiB,
      type: volume.type,
      iops: volume.iops,
      generation: volume.generation,
      ...(copy.role === 'primary' ? { clientKey: volume.keys.client } : {}),
      replicationKey: volume.keys.replication,
    },
  };
}

/** Have the primary mirror every write synchronously to the mirror's export. */
export function startReplicationCommand(volume: Volume, sync: 'full' | 'none'): HostCommandRequest {
  const primary = primaryOf(volume);
  const mirror = mirrorOf(volume);
  if (!primary || !mirror?.nbd) throw new Error(`volume ${volume.volumeId} has no primary or no built mirror to replicate to`);
  return {
    hostId: primary.hostId,
    type: 'start-replication',
    payload: {
      volumeId: volume.volumeId,
      copyId: primary.copyId,
      generation: volume.generation,
      mirror: { hostId: mirror.hostId, copyId: mirror.copyId, ...mirror.nbd },
      replicationKey: volume.keys.replication,
      sync,
    },
  };
}

/** Turn the surviving mirror into the primary at the volume's (already raised) generation. */
export function promoteCopyCommand(volume: Volume, copy: VolumeCopy): HostCommandRequest {
  return {
    hostId: copy.hostId,
    type: 'promote-copy',
    payload: { volumeId: volume.volumeId, copyId: copy.copyId, generation: volume.generation, clientKey: volume.keys.client },
  };
}

/**
 * `generation`: the volume's generation when the copy was given up; the host refuses to delete
 * a copy that has moved on to a newer one, so a replayed or rolled-back record never deletes the
 * newest copy (invariant 8, docs/replication-safety.md).
 */
export function deleteCopyCommand(volumeId: string, copy: Pick<VolumeCopy, 'hostId' | 'copyId'>, generation: number): HostCommandRequest {
  return { hostId: copy.hostId, type: 'delete-copy', payload: { volumeId, copyId: copy.copyId, generation } };
}
