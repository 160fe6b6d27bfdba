import { NotFoundError } from '../errors';
import type { VolumeRepository } from '../ports';
import type { Volume } from '../volume';
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

/** Applies the workflow's final outcome to the volume (through the lifecycle's one transition function); version conflicts are retried (VERSION_CONFLICT_RETRY). */
export async function settleVolume(
  volumes: VolumeRepository,
  volumeId: string,
  outcome: SettleOutcome,
  failure: WorkflowFailure | undefined,
  now: Date,
): Promise<Volume> {
  return retryOnVersionConflict(async () => {
    const volume = await volumes.get(volumeId);
    if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    const replicated = outcome === 'copies-created' || outcome === 'replica-rebuilt';
    const inSync = { copies: volume.copies.map((copy) => ({ ...copy, inSync: true, inSyncGeneration: volume.generation })) };
    const settled = transition(volume, eventFor(outcome, volume, failure), now, replicated ? inSync : {});
    await volumes.save(settled);
    return settled;
  });
}
