import type { VolumePage, VolumeRepository } from '../ports';
import type { ListVolumesQuery } from '../volume-requests';

export async function listVolumes(volumes: VolumeRepository, tenantId: string, query: ListVolumesQuery): Promise<VolumePage> {
  return volumes.listByTenant(tenantId, query);
}
