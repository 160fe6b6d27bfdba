import { isFinal, parametersOf, type Modification, type ModificationStatus } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import type { HostCommandRequest } from '../copy-commands';
import type { VolumeRepository } from '../ports';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { end } from './request-modification';

/** What the workflow does next: wait for a host command, go on with the queued modification, or end. */
export type NextAction =
  | { readonly action: 'command'; readonly modificationId: string; readonly command: HostCommandRequest & { readonly commandId: string } }
  | { readonly action: 'continue'; readonly modificationId: string }
  | { readonly action: 'done'; readonly modificationId: string; readonly status: string };

/** The host command's answer the workflow brings back, and which command it answers. */
export interface StepAnswer {
  readonly commandId: string;
  readonly result: Readonly<Record<string, unknown>>;
}

export interface FinishDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly now: () => Date;
}

/**
 * Ends the modification and hands the volume on: to the queued modification (which starts from the
 * volume as it is now, in this same execution) or back to `available`/`in-use`.
 */
export async function finish(
  deps: FinishDeps,
  modification: Modification,
  status: ModificationStatus,
  reason: string | undefined,
): Promise<NextAction> {
  const now = deps.now();
  await deps.modifications.save(end(modification, status, reason, now));
  let next: Modification | undefined;
  await retryOnVersionConflict(async () => {
    const volume = await deps.volumes.get(modification.volumeId);
    if (!volume || volume.modificationId !== modification.modificationId) return;
    const queued = volume.queuedModificationId ? await deps.modifications.get(volume.volumeId, volume.queuedModificationId) : undefined;
    if (queued && !isFinal(queued) && volume.status === VolumeStatus.modifying) {
      await deps.volumes.save({ ...volume, modificationId: queued.modificationId, queuedModificationId: undefined, version: volume.version + 1, updatedAt: now.toISOString() });
      next = queued;
      return;
    }
    await deps.volumes.save(
      transition(volume, { type: 'modification-ended', attachments: volume.attachments.length }, now, { modificationId: undefined, queuedModificationId: undefined }),
    );
  });
  if (next) {
    const started = next;
    const volume = await deps.volumes.get(modification.volumeId);
    await deps.modifications.save({
      ...started,
      original: volume ? parametersOf(volume) : started.original,
      queuedBehind: undefined,
      statusReason: undefined,
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: started.version + 1,
    });
    return { action: 'continue', modificationId: started.modificationId };
  }
  return { action: 'done', modificationId: modification.modificationId, status };
}
