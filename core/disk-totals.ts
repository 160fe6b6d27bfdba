import type { Disk } from './host-requests';
import { VOLUME_TYPES, type VolumeType } from './volume';

/** What a host's healthy disks of one storage type add up to (no allocations: those are the control plane's). */
export interface DiskTotals {
  readonly capacityGiB: number;
  readonly iopsCapacity: number;
}

/**
 * Sums the healthy disks per storage type. A type the host had before (`knownTypes`) is kept
 * at zero when none of its disks is healthy any more, so its allocations stay visible.
 */
export function diskTotalsOf(disks: readonly Disk[], knownTypes: readonly VolumeType[] = []): Partial<Record<VolumeType, DiskTotals>> {
  const totals: Partial<Record<VolumeType, DiskTotals>> = {};
  for (const type of VOLUME_TYPES) {
    const healthy = disks.filter((disk) => disk.type === type && disk.health !== 'failed');
    if (healthy.length === 0 && !knownTypes.includes(type)) continue;
    totals[type] = {
      capacityGiB: healthy.reduce((sum, disk) => sum + disk.capacityGiB, 0),
      iopsCapacity: healthy.reduce((sum, disk) => sum + disk.iopsCapacity, 0),
    };
  }
  return totals;
}
