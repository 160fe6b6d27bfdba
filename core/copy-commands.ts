import type { HostCommandType } from './host-command';
import { mirrorOf, primaryOf, type Volume, type VolumeCopy } from './volume';

/**
 * A command for one host, in the shape the workflows hand to `send-host-command`. No command
 * carries a key: workflow state, execution histories and the host-commands table hold only
 * ids and generations, and the poll route adds the keys a command needs when it hands the
 * command to its host (`command-keys.ts`).
 */
export interface HostCommandRequest {
  readonly hostId: string;
  readonly type: HostCommandType;
  readonly payload: Record<string, unknown>;
  /** Chosen when the command is planned, so the control plane can read its progress (a restore's fill). */
  readonly commandId?: string;
}

/** Build a copy: at delivery a primary gets its attachments' client keys, a mirror only its replication key. */
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
      ...diskOf(copy),
    },
  };
}

/** The disk the control plane placed a copy on, for its create-copy payload (the agent creates it there). */
export function diskOf(copy: VolumeCopy): { deviceId?: string } {
  return copy.deviceId === undefined ? {} : { deviceId: copy.deviceId };
}

/**
 * Build a new volume's copy and, for a volume restored from a snapshot, fill it from the snapshot
 * before it serves (the agent fetches the manifest and the chunks with presigned GETs; docs/snapshots.md,
 * "Restore"). Only a new volume's first copies are filled: a replacement mirror is synced from the primary.
 */
export function createRestoredCopyCommand(volume: Volume, copy: VolumeCopy, commandId: string): HostCommandRequest {
  const command = createCopyCommand(volume, copy);
  return {
    ...command,
    commandId,
    payload: { ...command.payload, ...(volume.snapshotId ? { restoreFrom: { snapshotId: volume.snapshotId } } : {}) },
  };
}

/** Have the primary mirror every write synchronously to the mirror's export (with the mirror's replication key, added at delivery). */
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
      sync,
    },
  };
}

/** Turn the surviving mirror into the primary at the volume's (already raised) generation; it gets the fresh client keys at delivery. */
export function promoteCopyCommand(volume: Volume, copy: VolumeCopy): HostCommandRequest {
  return {
    hostId: copy.hostId,
    type: 'promote-copy',
    payload: { volumeId: volume.volumeId, copyId: copy.copyId, generation: volume.generation },
  };
}

/**
 * Serve a copy again, in its recorded role at the volume's current generation, after its host's
 * agent stopped cleanly (core/clean-restart.ts). A primary is told its mirror: it serves no client
 * until its write-blocking mirror to that export is READY again (`sync: none` when its clean stop
 * proved the mirror identical). Keys are added at delivery (command-keys.ts).
 */
export function resumeCopyCommand(volume: Volume, copy: VolumeCopy): HostCommandRequest {
  const mirror = copy.role === 'primary' ? mirrorOf(volume) : undefined;
  return {
    hostId: copy.hostId,
    type: 'resume-copy',
    payload: {
      volumeId: volume.volumeId,
      copyId: copy.copyId,
      role: copy.role,
      generation: volume.generation,
      ...(mirror?.nbd ? { mirror: { hostId: mirror.hostId, copyId: mirror.copyId, ...mirror.nbd } } : {}),
    },
  };
}

/** Make the primary admit exactly the current attachments' keys (delivered with the keys current at delivery). */
export function setClientKeysCommand(volume: Volume, primary: VolumeCopy): HostCommandRequest {
  return {
    hostId: primary.hostId,
    type: 'set-client-keys',
    payload: { volumeId: volume.volumeId, copyId: primary.copyId, generation: volume.generation },
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
