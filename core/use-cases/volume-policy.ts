import { NotFoundError } from '../errors';
import type { VolumeRepository } from '../ports';
import type { Volume } from '../volume';
import { utilizationOf, type Utilization, type UtilizationReport, type VolumePolicy } from '../volume-policy';
import { VolumeStatus } from '../volume-status';
import { retryOnVersionConflict } from '../version-conflict-retry';

export interface VolumePolicyDeps {
  readonly volumes: VolumeRepository;
  readonly now: () => Date;
}

async function editOwnVolume(deps: VolumePolicyDeps, tenantId: string, volumeId: string, edit: (volume: Volume, at: Date) => Partial<Volume>): Promise<Volume> {
  return retryOnVersionConflict(async () => {
    const volume = await deps.volumes.get(volumeId);
    if (!volume || volume.tenantId !== tenantId || volume.status === VolumeStatus.deleted) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    const at = deps.now();
    const next = { ...volume, ...edit(volume, at), version: volume.version + 1, updatedAt: at.toISOString() };
    await deps.volumes.save(next);
    return next;
  });
}

/** `PUT /volumes/{id}/policy`: replaces the volume's automatic-adjustment policy (an empty one turns it off). */
export async function setVolumePolicy(deps: VolumePolicyDeps, tenantId: string, volumeId: string, policy: VolumePolicy): Promise<VolumePolicy> {
  const saved = await editOwnVolume(deps, tenantId, volumeId, () => ({ policy }));
  return saved.policy ?? {};
}

/** `POST /volumes/{id}/utilization`: the latest use of the volume's filesystem, kept for the evaluation. */
export async function reportUtilization(deps: VolumePolicyDeps, tenantId: string, volumeId: string, report: UtilizationReport): Promise<Utilization> {
  const saved = await editOwnVolume(deps, tenantId, volumeId, (volume, at) => ({ utilization: utilizationOf(volume, report, at) }));
  if (!saved.utilization) throw new Error(`utilization of ${volumeId} was not stored`);
  return saved.utilization;
}
