import type { HostCommand } from './host-command';
import type { SealedKey } from './sealed-key';
import { mirrorOf, type Volume } from './volume';

/** The sealed keys one command gets when it is handed to its host. */
export interface KeysToDeliver {
  readonly clientKeys?: readonly SealedKey[];
  readonly replicationKey?: SealedKey;
}

/**
 * Which keys a command may carry to `hostId`, decided when it is delivered, from the volume as
 * it is now. A host gets a key only for a copy the volume still places on that host, at the
 * volume's current generation: the primary gets the client keys of the current attachments
 * (and the replication key of the current mirror), the mirror only its replication key. A
 * command that is stale by then (the copy moved, the generation advanced, the mirror was
 * replaced) gets no key, so the host refuses it instead of serving with an old key set.
 */
export function keysToDeliver(volume: Volume | undefined, hostId: string, command: Pick<HostCommand, 'type' | 'payload'>): KeysToDeliver {
  if (!volume) return {};
  const { copyId, generation } = command.payload as { copyId?: unknown; generation?: unknown };
  const copy = volume.copies.find((candidate) => candidate.copyId === copyId && candidate.hostId === hostId);
  if (!copy || generation !== volume.generation) return {};
  const clientKeys = volume.attachments.map((attachment) => attachment.clientKey);
  const replication = volume.replicationKey ? { replicationKey: volume.replicationKey } : {};
  switch (command.type) {
    case 'create-copy':
    case 'resume-copy':
      return copy.role === 'primary' ? { clientKeys, ...replication } : replication;
    case 'start-replication': {
      const target = (command.payload as { mirror?: { copyId?: unknown } }).mirror?.copyId;
      return copy.role === 'primary' && target === mirrorOf(volume)?.copyId ? replication : {};
    }
    case 'promote-copy': {
      if (copy.role !== 'primary') return {};
      const planned = (command.payload as { planned?: unknown }).planned === true;
      return planned ? { clientKeys, ...replication } : { clientKeys };
    }
    case 'set-client-keys':
      return copy.role === 'primary' ? { clientKeys } : {};
    case 'resize-copy':
      return copy.role === 'primary' ? replication : {};
    case 'extend-chain':
      return copy.role === 'mirror' ? replication : {};
    case 'delete-copy':
    case 'set-iops':
    case 'quiesce-replication':
    case 'end-chain':
    case 'collect-report':
    // The recovery export's key is on the volume's recovery record, not on the volume (recoveryKeyToDeliver).
    case 'open-recovery-access':
    case 'snapshot-copy':
      return {};
    default: {
      const unknown: never = command.type;
      throw new Error(`unhandled command type ${String(unknown)}`);
    }
  }
}
