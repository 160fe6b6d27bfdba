import type { HostCommandRequest } from '../copy-commands';
import { newCommandId } from '../ids';
import { isFinal, type Modification, ModificationStatus, type PendingReServe } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import type { VolumeRepository } from '../ports';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { transition } from '../volume-transition';
import { finish, type NextAction, type StepAnswer } from './finish-modification';
import { end } from './request-modification';

/**
 * A modification that failed while its primary was quiesced ends only once the primary serves
 * again (docs/modification.md, "A failure while the primary is quiesced"): the rollback's
 * `resize-copy` goes out as the workflow's next host command (`Wait for re-serve`) and the
 * modification stays `modifying` (clients still have no export) until the host answers it.
 * Answered: the modification ends `failed` with its cause and the volume is available/in-use again
 * (or goes to the queued modification). Failed or not answered in time (`Re-serve failed`): the modification
 * ends `failed`, and the volume, whose primary serves no client, goes to `error` saying so.
 */

export interface ReServeDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly now: () => Date;
}

export type ModificationAwaitingReServe = Modification & { readonly reServe: PendingReServe };

export function awaitsReServe(modification: Modification): modification is ModificationAwaitingReServe {
  return modification.reServe !== undefined;
}

/**
 * Records the re-serve as sent and returns it as the workflow's next command. Called again for a
 * modification that already awaits one (the workflow's Catch ran twice, so the first was never
 * sent), it gives the same command a new id: the command is repeatable, and an id is sent once.
 */
export async function awaitReServe(deps: ReServeDeps, modification: Modification, request: HostCommandRequest, reason: string): Promise<NextAction> {
  const now = deps.now();
  const command = { hostId: request.hostId, type: request.type, payload: request.payload, commandId: newCommandId(now) };
  const sends = (modification.reServe?.sends ?? 0) + 1;
  const reServe: PendingReServe = { hostId: request.hostId, copyId: String(request.payload.copyId), command, reason, sentAt: now.toISOString(), sends };
  await deps.modifications.save({
    ...modification,
    reServe,
    currentCommand: undefined,
    statusReason: `${reason}; rolling back: the quiesced primary ${reServe.copyId} on host ${reServe.hostId} is told to serve again (resize-copy)`.slice(0, 1024),
    updatedAt: now.toISOString(),
    version: modification.version + 1,
  });
  return { action: 'command', modificationId: modification.modificationId, command };
}

/** Most sends of one modification's re-serve: a workflow that keeps failing around it ends instead of looping. */
export const MAX_RE_SERVE_SENDS = 3;

/** The same re-serve again, under a new id (see awaitReServe); after MAX_RE_SERVE_SENDS sends, the modification ends as for a refusal. */
export function reSendReServe(deps: ReServeDeps, modification: ModificationAwaitingReServe): Promise<NextAction> {
  const { reServe } = modification;
  if (reServe.sends >= MAX_RE_SERVE_SENDS) return endAfterFailedReServe(deps, modification, `sent ${reServe.sends} times without an answer the workflow could record`);
  return awaitReServe(deps, modification, reServe.command, reServe.reason);
}

/** The host answered the re-serve: the primary serves again, and the modification ends `failed` with its cause. */
export function endAfterReServe(deps: ReServeDeps, modification: ModificationAwaitingReServe, answer: StepAnswer | undefined): Promise<NextAction> {
  const { reServe } = modification;
  if (answer?.commandId !== reServe.command.commandId) {
    throw new Error(`modification ${modification.modificationId} waits for the answer to ${reServe.command.commandId} (the primary told to serve again), not ${answer?.commandId ?? 'none'}`);
  }
  return finish(deps, modification, ModificationStatus.failed, `${reServe.reason}; the quiesced primary ${reServe.copyId} on host ${reServe.hostId} serves again`.slice(0, 1024));
}

/**
 * The re-serve failed or was not answered in time: the modification ends `failed`, the volume goes
 * to `error` (its primary serves no client) and a queued modification ends too (it would start on
 * a volume nobody serves). A volume that fail-over took meanwhile (`degraded`) stays with it.
 */
export async function endAfterFailedReServe(deps: ReServeDeps, modification: ModificationAwaitingReServe, cause: string): Promise<NextAction> {
  const { reServe } = modification;
  const now = deps.now();
  const stranded = `the quiesced primary ${reServe.copyId} on host ${reServe.hostId} did not serve again: ${cause.slice(0, 400)}`;
  await deps.modifications.save(end(modification, ModificationStatus.failed, `${reServe.reason.slice(0, 500)}; ${stranded}`.slice(0, 1024), now));
  let queuedId: string | undefined;
  await retryOnVersionConflict(async () => {
    const volume = await deps.volumes.get(modification.volumeId);
    if (!volume || volume.modificationId !== modification.modificationId) return;
    queuedId = volume.queuedModificationId;
    await deps.volumes.save(
      transition(volume, { type: 'modification-stranded', reason: `modification ${modification.modificationId} failed and ${stranded}`.slice(0, 1024) }, now, {
        modificationId: undefined,
        queuedModificationId: undefined,
      }),
    );
  });
  const queued = queuedId ? await deps.modifications.get(modification.volumeId, queuedId) : undefined;
  if (queued && !isFinal(queued)) {
    await deps.modifications.save(end(queued, ModificationStatus.failed, `not started: modification ${modification.modificationId} failed before it and ${stranded}`.slice(0, 1024), now));
  }
  return { action: 'done', modificationId: modification.modificationId, status: ModificationStatus.failed };
}
