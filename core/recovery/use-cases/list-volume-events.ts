import { NotFoundError } from '../../errors';
import type { VolumeRepository } from '../../ports';
import type { VolumeEventLog } from '../ports';
import type { RecoveryNotice } from '../recovery-notice';

/** Notices listed at most. */
export const MAX_EVENTS = 100;

/** `GET /volumes/{id}/events`: the tenant's volume's notices, newest first; another tenant's volume is 404. */
export async function listVolumeEvents(deps: { readonly volumes: VolumeRepository; readonly events: VolumeEventLog }, tenantId: string, volumeId: string): Promise<readonly RecoveryNotice[]> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId) throw new NotFoundError(`volume ${volumeId} not found`, { volumeId });
  return deps.events.list(volumeId, MAX_EVENTS);
}
