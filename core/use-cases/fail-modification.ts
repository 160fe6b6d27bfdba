import { isFinal, ModificationStatus, type Modification } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import { finish, type NextAction } from './finish-modification';
import { awaitReServe, awaitsReServe, endAfterFailedReServe, MAX_RE_SERVE_SENDS, reSendReServe } from './modification-re-serve';
import { rollBackModification, type RollbackDeps } from './modification-rollback';

export interface FailModificationDeps extends RollbackDeps {
  readonly modifications: ModificationRepository;
}

/**
 * The workflow's Catch: a step failed (a host's error, a host that stopped making progress, no
 * capacity). What does not serve the volume is rolled back (modification-rollback.ts), the
 * modification ends `failed` with the cause, and the volume goes to the queued modification or back
 * to available/in-use. A failure after the cutover keeps what already serves the volume. One while
 * the primary is quiesced (before another copy serves) first has the primary told to serve again,
 * as the workflow's next command (modification-re-serve.ts).
 */
export async function failModification(deps: FailModificationDeps, volumeId: string, modificationId: string, cause: string): Promise<NextAction> {
  const found = await openModification(deps, volumeId, modificationId);
  if (!found.open) return found.done;
  const { modification } = found;
  // The Catch ran twice for one failure: the re-serve it returned the first time was never sent.
  if (awaitsReServe(modification)) return reSendReServe(deps, modification);
  const { reServe } = await rollBackModification(deps, volumeId, modification);
  const current = (await deps.modifications.get(volumeId, modificationId)) ?? modification;
  const step = current.currentCommand ? ` at step ${current.currentCommand.step} on host ${current.currentCommand.hostId}` : '';
  // The cause first: the reason is bounded, and the cause is what an operator needs most.
  const reason = `failed${step}: ${cause.slice(0, 800)}`;
  if (reServe) return awaitReServe(deps, current, reServe, reason);
  return finish(deps, current, ModificationStatus.failed, reason.slice(0, 1024));
}

/** The workflow's `Re-serve failed`: the command to serve again failed or was not answered in time. */
export async function failReServe(deps: FailModificationDeps, volumeId: string, modificationId: string, cause: string): Promise<NextAction> {
  const found = await openModification(deps, volumeId, modificationId);
  if (!found.open) return found.done;
  const { modification } = found;
  if (!awaitsReServe(modification)) throw new Error(`modification ${modificationId} of volume ${volumeId} awaits no command to serve again`);
  const { command, reason } = modification.reServe;
  // A grow whose mirror grew without answering: the primary, asked at the current size, finds a larger mirror
  // (QEMU mirrors only equal sizes). It is asked once more at the target size, as when the mirror's grow answered.
  if (cause.startsWith(`${MIRROR_TARGET_SIZE_MISMATCH}:`) && command.payload.sizeGiB !== modification.target.sizeGiB && modification.reServe.sends < MAX_RE_SERVE_SENDS) {
    return awaitReServe(deps, modification, { ...command, payload: { ...command.payload, sizeGiB: modification.target.sizeGiB } }, reason);
  }
  return endAfterFailedReServe(deps, modification, cause);
}

/** The modification a failure is about: still open, or the answer when it has ended (a Catch that runs again). */
async function openModification(
  deps: FailModificationDeps,
  volumeId: string,
  modificationId: string,
): Promise<{ open: true; modification: Modification } | { open: false; done: NextAction }> {
  const modification = await deps.modifications.get(volumeId, modificationId);
  if (!modification) throw new Error(`modification ${modificationId} of volume ${volumeId} does not exist`);
  if (isFinal(modification)) return { open: false, done: { action: 'done', modificationId, status: modification.status } };
  return { open: true, modification };
}

/** The agent's error code when a mirror's size differs from its primary's (agent/errors.ts). */
const MIRROR_TARGET_SIZE_MISMATCH = 'MirrorTargetSizeMismatch';
