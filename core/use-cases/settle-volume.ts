import { NotFoundError } from '../errors';
import type { VolumeRepository } from '../ports';
import type { Volume } from '../volume';
import { applyVolumeEvent, type VolumeEvent } from '../volume-status';

/** How Step Functions hands a caught error to the next state. */
export interface WorkflowFailure {
  readonly Error?: string;
  readonly Cause?: string;
}

/** Turns a caught workflow error into a sentence for the volume's statusReason. */
export function reasonFrom(failure: WorkflowFailure | undefined): string {
  if (!failure) return 'unknown failure';
  const error = failure.Error ?? 'Error';
  let cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') cause = parsed.errorMessage;
  } catch {
    // A cause that is not JSON is already the message.
  }
  if (error === 'States.Timeout') return `a storage host did not answer in time (${error})`;
  return cause ? `${error}: ${cause}`.slice(0, 1024) : error;
}

export type SettleOutcome = 'copies-created' | 'creation-failed' | 'copies-deleted' | 'deletion-failed';

/** Applies the workflow's final outcome to the volume (through the lifecycle's one transition function). */
export async function settleVolume(
  volumes: VolumeRepository,
  volumeId: string,
  outcome: SettleOutcome,
  failure: WorkflowFailure | undefined,
  now: Date,
): Promise<Volume> {
  const volume = await volumes.get(volumeId);
  if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  const event: VolumeEvent =
    outcome === 'creation-failed' || outcome === 'deletion-failed'
      ? { type: outcome, reason: reasonFrom(failure) }
      : { type: outcome };
  const change = applyVolumeEvent(volume.status, event);
  const settled: Volume = { ...volume, status: change.status, statusReason: change.statusReason, version: volume.version + 1, updatedAt: now.toISOString() };
  await volumes.save(settled);
  return settled;
}
