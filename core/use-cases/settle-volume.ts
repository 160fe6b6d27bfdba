import { InvalidStateError, NotFoundError } from '../errors';
import type { VolumeRepository } from '../ports';
import { mirrorOf, primaryOf, type Volume } from '../volume';
import type { VolumeEvent } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { reasonFrom, type WorkflowFailure } from '../workflow-failure';

export type SettleOutcome = 'copies-created' | 'creation-failed' | 'copies-deleted' | 'deletion-failed' | 'replica-rebuilt' | 'rebuild-failed';

function eventFor(outcome: SettleOutcome, volume: Volume, failure: WorkflowFailure | undefined): VolumeEvent {
  switch (outcome) {
    case 'creation-failed':
    case 'deletion-failed':
      return { type: outcome, reason: reasonFrom(failure) };
    case 'rebuild-failed':
      return { type: outcome, reason: `rebuilding the mirror failed: ${reasonFrom(failure)}` };
    case 'replica-rebuilt':
      return { type: outcome, attachments: volume.attachments.length };
    case 'copies-created':
    case 'copies-deleted':
      return { type: outcome };
    default: {
      const unknown: never = outcome;
      throw new Error(`unhandled outcome ${String(unknown)}`);
    }
  }
}

/** The mirror a rebuild synchronised, as its start-replication command named it. */
export interface SyncedMirror {
  readonly mirrorCopyId: string;
  readonly generation: number;
}

/**
 * Applies the workflow's final outcome to the volume (through the lifecycle's one transition
 * function); version conflicts are retried (VERSION_CONFLICT_RETRY). `replica-rebuilt` marks in
 * sync only the primary and the mirror the rebuild synchronised, and only while that mirror is
 * still the volume's at the same generation: a rebuild that another replaced meanwhile must not
 * vouch for a copy it never synchronised (docs/replication-safety.md, invariant 6).
 */
export async function settleVolume(
  volumes: VolumeRepository,
  volumeId: string,
  outcome: SettleOutcome,
  failure: WorkflowFailure | undefined,
  now: Date,
  synced?: SyncedMirror,
): Promise<Volume> {
  return retryOnVersionConflict(async () => {
    const volume = await volumes.get(volumeId);
    if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    const settled = transition(volume, eventFor(outcome, volume, failure), now, copiesAfter(volume, outcome, synced));
    await volumes.save(settled);
    return settled;
  });
}

function copiesAfter(volume: Volume, outcome: SettleOutcome, synced: SyncedMirror | undefined): Partial<Volume> {
  const markAll = { copies: volume.copies.map((copy) => ({ ...copy, inSync: true, inSyncGeneration: volume.generation })) };
  if (outcome === 'copies-created') return markAll;
  if (outcome !== 'replica-rebuilt') return {};
  const mirror = mirrorOf(volume);
  if (!synced || mirror?.copyId !== synced.mirrorCopyId || volume.generation !== synced.generation) {
    const now = mirror ? `${mirror.copyId} at generation ${volume.generation}` : `none at generation ${volume.generation}`;
    const then = synced ? `${synced.mirrorCopyId} at generation ${synced.generation}` : 'not named';
    throw new InvalidStateError(`the mirror this rebuild synchronised (${then}) is no longer the volume's mirror (${now}); nothing is marked in sync`, { volumeId: volume.volumeId });
  }
  const vouched = new Set([synced.mirrorCopyId, primaryOf(volume)?.copyId]);
  return { copies: volume.copies.map((copy) => (vouched.has(copy.copyId) ? { ...copy, inSync: true, inSyncGeneration: volume.generation } : copy)) };
}
