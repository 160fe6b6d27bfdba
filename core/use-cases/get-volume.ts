import { NotFoundError } from '../errors';
import type { VolumeRepository } from '../ports';
import type { Volume } from '../volume';

/** A tenant's volume; another tenant's volume is reported as not found, never as forbidden. */
export async function getVolume(volumes: VolumeRepository, tenantId: string, volumeId: string): Promise<Volume> {
  const volume = await volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId) {
    throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  }
  return volume;
}
