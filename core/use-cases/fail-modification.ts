import { isFinal, ModificationStatus } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import { finish, type NextAction } from './advance-modification';
import { rollBackModification, type RollbackDeps } from './modification-rollback';

export interface FailModificationDeps extends RollbackDeps {
  readonly modifications: ModificationRepository;
}

/**
 * The workflow's Catch: a step failed (a host's error, a host that stopped making progress, no
 * capacity). What does not serve the volume is rolled back (modification-rollback.ts), the
 * modification ends `failed` with the cause, and the volume goes to the queued modification or back
 * to available/in-use. A failure after the cutover keeps what already serves the volume; one while
 * the primary is quiesced (before another copy serves) has the primary serve again, and the reason
 * says so.
 */
export async function failModification(deps: FailModificationDeps, volumeId: string, modificationId: string, cause: string): Promise<NextAction> {
  const modification = await deps.modifications.get(volumeId, modificationId);
  if (!modification) throw new Error(`modification ${modificationId} of volume ${volumeId} does not exist`);
  if (isFinal(modification)) return { action: 'done', modificationId, status: modification.status };
  const { reServed } = await rollBackModification(deps, volumeId, modification);
  const current = (await deps.modifications.get(volumeId, modificationId)) ?? modification;
  const step = current.currentCommand ? ` at step ${current.currentCommand.step} on host ${current.currentCommand.hostId}` : '';
  // The cause first: the reason is bounded, and the cause is what an operator needs most.
  const back = reServed ? `; the quiesced primary ${reServed.copyId} on host ${reServed.hostId} was told to serve again (resize-copy)` : '';
  return finish(deps, current, ModificationStatus.failed, `failed${step}: ${cause.slice(0, 800)}${back}`.slice(0, 1024));
}
