import type { VolumeRepository, VolumeWorkflows } from '../ports';
import type { Volume } from '../volume';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { getVolume } from './get-volume';

export interface DeleteVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly workflows: VolumeWorkflows;
  readonly now: () => Date;
}

/** Marks the volume `deleting` and starts the workflow that removes its copies; repeating it is harmless. */
export async function deleteVolume(deps: DeleteVolumeDeps, tenantId: string, volumeId: string): Promise<Volume> {
  const volume = await getVolume(deps.volumes, tenantId, volumeId);
  if (volume.status === VolumeStatus.deleted) return volume;
  if (volume.status === VolumeStatus.deleting) {
    await deps.workflows.startDelete(volumeId, volume.copies);
    return volume;
  }
  const deleting = transition(volume, { type: 'delete-requested' }, deps.now());
  await deps.volumes.save(deleting);
  await deps.workflows.startDelete(volumeId, deleting.copies);
  return deleting;
}
