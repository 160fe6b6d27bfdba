import { InvalidStateError, NotFoundError } from '../errors';
import { isFinal, ModificationStatus, type Modification } from '../modification';
import type { ModificationRepository } from '../modification-ports';
import type { VolumeRepository } from '../ports';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { end } from './request-modification';

export interface CancelModificationDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly now: () => Date;
}

/**
 * Cancels a modification before its cutover. A queued one ends `cancelled` at once; a running one
 * gets the cancel flag, which its workflow honours at its next step (rolling everything back). After
 * the cutover, or once it ended, the cancel is refused (409) with the reason.
 */
export async function cancelModification(deps: CancelModificationDeps, tenantId: string, volumeId: string, modificationId: string): Promise<Modification> {
  return retryOnVersionConflict(async () => {
    const volume = await deps.volumes.get(volumeId);
    const modification = volume?.tenantId === tenantId ? await deps.modifications.get(volumeId, modificationId) : undefined;
    if (!volume || !modification) throw new NotFoundError(`modification ${modificationId} of volume ${volumeId} does not exist`, { volumeId, modificationId });
    if (isFinal(modification)) {
      throw new InvalidStateError(`modification ${modificationId} already ended (${modification.status}); there is nothing to cancel`, { status: modification.status });
    }
    if (modification.pastCutover) {
      throw new InvalidStateError(
        `modification ${modificationId} is past its cutover (step ${modification.currentCommand?.step ?? 'cleanup'}): clients already use the new parameters or copies, so it can no longer be cancelled`,
        { status: modification.status, modificationId },
      );
    }
    const at = deps.now();
    if (volume.queuedModificationId === modificationId) {
      const cancelled = end(modification, ModificationStatus.cancelled, 'cancelled while queued', at);
      await deps.modifications.save(cancelled);
      await deps.volumes.save({ ...volume, queuedModificationId: undefined, version: volume.version + 1, updatedAt: at.toISOString() });
      return cancelled;
    }
    if (modification.cancelRequested) return modification;
    const flagged = { ...modification, cancelRequested: true, statusReason: 'cancel requested', updatedAt: at.toISOString(), version: modification.version + 1 };
    await deps.modifications.save(flagged);
    return flagged;
  });
}
