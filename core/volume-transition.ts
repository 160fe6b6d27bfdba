import type { Volume } from './volume';
import { applyVolumeEvent, type VolumeEvent } from './volume-status';

/**
 * The volume after `event`, one version later. A reason is kept while the status stays the
 * same and cleared when the status moves on without a new one.
 */
export function transition(volume: Volume, event: VolumeEvent, now: Date, changes: Partial<Volume> = {}): Volume {
  const change = applyVolumeEvent(volume.status, event);
  const statusReason = change.statusReason ?? (change.status === volume.status ? volume.statusReason : undefined);
  return { ...volume, ...changes, status: change.status, statusReason, version: volume.version + 1, updatedAt: now.toISOString() };
}
