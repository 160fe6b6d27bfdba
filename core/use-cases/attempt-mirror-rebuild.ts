import { deleteCopyCommand, type HostCommandRequest } from '../copy-commands';
import { InsufficientCapacityError, NotFoundError } from '../errors';
import type { HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import type { KeyVault } from '../sealed-key';
import { continuesInNewExecution, rebuildDelaySeconds } from '../rebuild-backoff';
import type { Volume } from '../volume';
import { SERVING_STATUSES, VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { placeMirrorReplacement } from './place-replacement-mirror';
import { sendHostCommand } from './send-host-command';

export interface AttemptMirrorRebuildDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly keys: KeyVault;
  readonly now: () => Date;
}

/** What the fail-over workflow does after one placement attempt (statemachines/fail-over-volume.asl.json, "Mirror placed?"). */
export type RebuildAttempt =
  | { readonly outcome: 'placed'; readonly command: HostCommandRequest; readonly attempt: number; readonly retryAfterSeconds: number }
  | { readonly outcome: 'retry'; readonly reason: string; readonly attempt: number; readonly retryAfterSeconds: number }
  | { readonly outcome: 'continue'; readonly reason: string; readonly attempt: number; readonly retryAfterSeconds: number }
  | { readonly outcome: 'superseded'; readonly reason: string; readonly attempt: number; readonly retryAfterSeconds: number }
  | { readonly outcome: 'ended'; readonly reason: string; readonly attempt: number; readonly retryAfterSeconds: number };

/** Which attempt this is, and where the execution that makes it began (REBUILD_RETRY). */
export interface RebuildAttemptNumber {
  readonly attempt: number;
  readonly firstAttempt: number;
  readonly attemptsPerExecution: number;
  /** The rebuild's name: the first execution's (its continuations keep it). */
  readonly owner: string;
}

/**
 * One attempt (1-based) at giving a degraded volume a new mirror. A mirror left from an earlier
 * attempt that failed is abandoned: its reservation is released (by the placement) and its host
 * told to delete whatever it built. When no host can take the mirror, the volume's statusReason
 * says so and when the next attempt is (REBUILD_RETRY). There is no last attempt: once this
 * execution has made its share, the attempt is not made here but handed to a new execution
 * (`continue`), so the rebuild never stops while the volume has one copy.
 * `retryAfterSeconds` is also the wait before the next attempt if the build that follows fails.
 *
 * One rebuild per volume: a rebuild's first attempt makes it the volume's `rebuildOwner`, and any
 * later attempt of a rebuild that is no longer the owner ends it (`superseded`) before it touches a
 * copy. Without this, two rebuilds (the one begun when the mirror's host was lost, which never gives
 * up, and the one an owner's `enable` begins) each deleted the other's mirror as their own leftover.
 *
 * A rebuild ends (`ended`) once its volume is no longer served (deleting, deleted, error, impaired):
 * it never places a mirror for such a volume. Without this, a rebuild waiting for a host went on
 * after the volume was deleted, and reserved and built a mirror no record released.
 */
export async function attemptMirrorRebuild(deps: AttemptMirrorRebuildDeps, volumeId: string, lostHostId: string, number: RebuildAttemptNumber): Promise<RebuildAttempt> {
  const { attempt, owner } = number;
  const retryAfterSeconds = rebuildDelaySeconds(attempt);
  const read = await deps.volumes.get(volumeId);
  if (!read) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  if (attempt > 1 && read.rebuildOwner !== undefined && read.rebuildOwner !== owner) {
    return { outcome: 'superseded', attempt, retryAfterSeconds, reason: `rebuild ${owner} ends: rebuild ${read.rebuildOwner} began later and carries on` };
  }
  if (!SERVING_STATUSES.includes(read.status)) return ended(owner, read, attempt, retryAfterSeconds);
  if (continuesInNewExecution(attempt, number.firstAttempt, number.attemptsPerExecution)) {
    return { outcome: 'continue', attempt, retryAfterSeconds, reason: `attempt ${attempt} goes on in a new execution after ${number.attemptsPerExecution} in this one` };
  }
  const volume = attempt === 1 ? await claimRebuild(deps, volumeId, owner) : read;
  const abandoned = volume.copies.filter((copy) => copy.role !== 'primary');
  try {
    const placed = await retryOnVersionConflict(() => placeMirrorReplacement(deps, volumeId, lostHostId));
    if ('notServed' in placed) return ended(owner, placed.notServed, attempt, retryAfterSeconds);
    await deleteAbandoned(deps, volumeId, abandoned, volume.generation);
    return { outcome: 'placed', command: placed.command, attempt, retryAfterSeconds };
  } catch (error) {
    if (!(error instanceof InsufficientCapacityError)) throw error;
    await deleteAbandoned(deps, volumeId, abandoned, volume.generation);
    const reason = `${error.message}; trying again in ${retryAfterSeconds} s (attempt ${attempt})`;
    await retryOnVersionConflict(async () => {
      const current = await deps.volumes.get(volumeId);
      if (current?.status !== VolumeStatus.degraded) return;
      await deps.volumes.save(transition(current, { type: 'rebuild-failed', reason: `rebuilding the mirror is waiting: ${reason}` }, deps.now()));
    });
    return { outcome: 'retry', reason, attempt, retryAfterSeconds };
  }
}

function ended(owner: string, volume: Volume, attempt: number, retryAfterSeconds: number): RebuildAttempt {
  return { outcome: 'ended', attempt, retryAfterSeconds, reason: `rebuild ${owner} ends: volume ${volume.volumeId} is ${volume.status}` };
}

/** Makes `owner` the volume's rebuild: the latest rebuild to begin is the one that carries on. */
async function claimRebuild(deps: AttemptMirrorRebuildDeps, volumeId: string, owner: string): Promise<Volume> {
  return retryOnVersionConflict(async () => {
    const current = await deps.volumes.get(volumeId);
    if (!current) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    if (current.rebuildOwner === owner) return current;
    const claimed = { ...current, rebuildOwner: owner, version: current.version + 1, updatedAt: deps.now().toISOString() };
    await deps.volumes.save(claimed);
    return claimed;
  });
}

async function deleteAbandoned(deps: AttemptMirrorRebuildDeps, volumeId: string, abandoned: readonly { hostId: string; copyId: string }[], generation: number) {
  for (const copy of abandoned) await sendHostCommand(deps.commands, deleteCopyCommand(volumeId, copy, generation), deps.now());
}
