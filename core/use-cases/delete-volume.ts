import type { VolumeRepository, VolumeWorkflows } from '../ports';
import type { Volume } from '../volume';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { getVolume } from './get-volume';

export interface DeleteVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly workflows: VolumeWorkflows;
  readonly now: () => Date;
}

/**
 * Marks the volume `deleting` and starts the workflow that removes its copies. Repeating it is
 * harmless: a `deleting` record names its one workflow attempt (by its version), so a repeat
 * starts that attempt if it never started and nothing otherwise. After a failed deletion the
 * volume is `error`, and a new DELETE is a new attempt.
 */
export async function deleteVolume(deps: DeleteVolumeDeps, tenantId: string, volumeId: string): Promise<Volume> {
  const deleting = await retryOnVersionConflict(async () => {
    const volume = await getVolume(deps.volumes, tenantId, volumeId);
    if (volume.status === VolumeStatus.deleted || volume.status === VolumeStatus.deleting) return volume;
    const marked = transition(volume, { type: 'delete-requested' }, deps.now());
    await deps.volumes.save(marked);
    return marked;
  });
  if (deleting.status === VolumeStatus.deleting) await deps.workflows.startDelete(volumeId, deleting.version, deleting.copies);
  return deleting;
}
