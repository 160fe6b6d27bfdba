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
 * to available/in-use. A failure after the cutover keeps what already serves the volume.
 */
export async function failModification(deps: FailModificationDeps, volumeId: string, modificationId: string, cause: string): Promise<NextAction> {
  const modification = await deps.modifications.get(volumeId, modificationId);
  if (!modification) throw new Error(`modification ${modificationId} of volume ${volumeId} does not exist`);
  if (isFinal(modification)) return { action: 'done', modificationId, status: modification.status };
  await rollBackModification(deps, volumeId, modification);
  const current = (await deps.modifications.get(volumeId, modificationId)) ?? modification;
  const step = current.currentCommand ? ` at step ${current.currentCommand.step} on host ${current.currentCommand.hostId}` : '';
  return finish(deps, current, ModificationStatus.failed, `failed${step}: ${cause}`.slice(0, 1024));
}
