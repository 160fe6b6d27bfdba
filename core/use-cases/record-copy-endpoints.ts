import { ForbiddenError, InvalidStateError, NotFoundError } from '../errors';
import { startReplicationCommand, type HostCommandRequest } from '../copy-commands';
import type { VolumeRepository } from '../ports';
import { mirrorOf, primaryOf, type NbdEndpoint, type Volume } from '../volume';
import { retryOnVersionConflict } from '../version-conflict-retry';

/** What a host answered after building or promoting a copy. */
export interface BuiltCopy {
  /** The host that answered (the control plane adds it to the result, the host cannot choose it). */
  readonly hostId: string;
  readonly copyId: string;
  readonly nbd: NbdEndpoint;
}

/**
 * Stores where the hosts export the copies they just built or promoted, and returns the
 * command that makes the primary replicate to its mirror (none while no mirror is built yet). `sync: none` is right only when
 * both copies are known to be identical (two freshly zeroed files); a rebuilt mirror needs `full`.
 * With `requireReplication`, a volume that has no primary and built mirror to replicate between
 * is an error (the workflow catches it) rather than a `null` command the next state cannot use.
 * Version conflicts (an attach during a rebuild) are retried (VERSION_CONFLICT_RETRY).
 */
export async function recordCopyEndpoints(
  volumes: VolumeRepository,
  volumeId: string,
  built: readonly BuiltCopy[],
  sync: 'full' | 'none',
  now: Date,
  requireReplication = false,
): Promise<HostCommandRequest | null> {
  const updated = await retryOnVersionConflict(async () => {
    const volume = await volumes.get(volumeId);
    if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    for (const copy of built) {
      const held = volume.copies.find((c) => c.copyId === copy.copyId);
      // A copy the volume no longer counts on (replaced meanwhile) is ignored below.
      if (held && held.hostId !== copy.hostId) {
        throw new ForbiddenError(`host ${copy.hostId} answered for copy ${copy.copyId}, which is not its copy of volume ${volumeId}`, { volumeId, copyId: copy.copyId, hostId: copy.hostId });
      }
    }
    const endpoints = new Map(built.map((copy) => [copy.copyId, copy.nbd]));
    const next: Volume = {
      ...volume,
      copies: volume.copies.map((copy) => (endpoints.has(copy.copyId) ? { ...copy, nbd: endpoints.get(copy.copyId) } : copy)),
      version: volume.version + 1,
      updatedAt: now.toISOString(),
    };
    await volumes.save(next);
    return next;
  });
  if (mirrorOf(updated)?.nbd && primaryOf(updated)?.nbd) return startReplicationCommand(updated, sync);
  if (requireReplication) {
    throw new InvalidStateError(`volume ${volumeId} has no built primary and mirror to replicate between (copies: ${updated.copies.map((c) => `${c.role} ${c.copyId}${c.nbd ? '' : ' not built'}`).join(', ') || 'none'})`, {
      volumeId,
    });
  }
  return null;
}
