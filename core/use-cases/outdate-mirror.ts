import { InvalidStateError, NotFoundError, VersionConflictError } from '../errors';
import type { ReplicaFaultRequest } from '../host-requests';
import type { FailoverWorkflows, HostRepository, VolumeRepository } from '../ports';
import { isInSyncNow, type Volume } from '../volume';
import { transition } from '../volume-transition';
import { authorizeHost } from './authorize-host';

export interface OutdateMirrorDeps {
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly failovers: FailoverWorkflows;
  readonly now: () => Date;
}

/** Version conflicts (a fail-over or an attach writing the volume at the same time) are retried this often, at once: each try re-reads. */
export const OUTDATE_MIRROR_MAX_ATTEMPTS = 5;

export interface OutdateMirrorAnswer {
  readonly volumeId: string;
  /** The generation the primary continues at (alone until a new mirror is in sync). */
  readonly generation: number;
  /** The copies that lost their in-sync mark with this call (empty when an earlier call did it). */
  readonly outdatedCopyIds: readonly string[];
}

/**
 * The consent a primary needs before it acknowledges a write on its own copy (invariant 1 of
 * docs/replication-safety.md): every other copy counted in sync loses that mark and the volume's
 * generation advances, in one conditional write, so the copy that misses the write can never be
 * promoted. Then the fail-over workflow drops and rebuilds it.
 *
 * Refused (409) when the caller's copy is not the volume's primary any more: a primary that was
 * replaced must never continue alone; the agent then fences its export. A retry of an answered
 * call, or a call about an older generation, answers the current generation and changes nothing.
 */
export async function outdateMirror(deps: OutdateMirrorDeps, principalArn: string, hostId: string, request: ReplicaFaultRequest): Promise<OutdateMirrorAnswer> {
  await authorizeHost(deps.hosts, principalArn, hostId);
  for (let attempt = 1; ; attempt++) {
    const volume = await deps.volumes.get(request.volumeId);
    if (!volume) throw new NotFoundError(`volume ${request.volumeId} does not exist`, { volumeId: request.volumeId });
    const decision = decide(volume, hostId, request);
    if (decision.outdate.length === 0) return { volumeId: volume.volumeId, generation: volume.generation, outdatedCopyIds: [] };
    const generation = volume.generation + 1;
    const reason = `the primary on host ${hostId} lost its mirror (${request.reason}); the mirror is out of date at generation ${generation} and is being replaced`;
    // The primary holds every acknowledged write at the new generation; the outdated copies none of its own.
    const next = transition(volume, { type: 'copy-lost', reason }, deps.now(), {
      copies: volume.copies.map((copy) =>
        decision.outdate.includes(copy.copyId) ? { ...copy, inSync: false } : copy.copyId === request.copyId ? { ...copy, inSync: true, inSyncGeneration: generation } : copy,
      ),
      generation,
    });
    try {
      await deps.volumes.save(next);
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < OUTDATE_MIRROR_MAX_ATTEMPTS) continue;
      throw error;
    }
    for (const copyId of decision.outdate) await deps.failovers.startFailover(volume.volumeId, copyId, reason, next.version);
    return { volumeId: volume.volumeId, generation, outdatedCopyIds: decision.outdate };
  }
}

function decide(volume: Volume, hostId: string, request: ReplicaFaultRequest): { outdate: string[] } {
  const primary = volume.copies.find((copy) => copy.role === 'primary');
  if (!primary || primary.copyId !== request.copyId || primary.hostId !== hostId) {
    throw new InvalidStateError(`copy ${request.copyId} on host ${hostId} is not the primary of volume ${volume.volumeId}; it must not continue alone`, {
      volumeId: volume.volumeId,
      copyId: request.copyId,
      generation: volume.generation,
    });
  }
  if (request.generation > volume.generation) {
    throw new InvalidStateError(`copy ${request.copyId} claims generation ${request.generation}; volume ${volume.volumeId} is at ${volume.generation}`, {
      volumeId: volume.volumeId,
      generation: volume.generation,
    });
  }
  // An older generation's mirror is already out of date: the generation moved on when it was.
  if (request.generation < volume.generation) return { outdate: [] };
  return { outdate: volume.copies.filter((copy) => copy.copyId !== primary.copyId && isInSyncNow(volume, copy)).map((copy) => copy.copyId) };
}
