import type { VolumeType } from './volume';

/**
 * Committed IOPS a volume may ask for, by type (documented in docs/api.md):
 * - ssd: 3,000–16,000 and at most 500 per GiB (gp3-like); default 3,000.
 * - hdd: 100–500; default 100.
 */
export const IOPS_RANGE: Readonly<Record<VolumeType, { min: number; max: number; perGiB?: number; default: number }>> = {
  ssd: { min: 3000, max: 16000, perGiB: 500, default: 3000 },
  hdd: { min: 100, max: 500, default: 100 },
};

/** Returns why `iops` is not allowed for this type and size, or undefined when it is. */
export function iopsProblem(type: VolumeType, sizeGiB: number, iops: number): string | undefined {
  const range = IOPS_RANGE[type];
  if (iops < range.min || iops > range.max) {
    return `iops for ${type} must be between ${range.min} and ${range.max}, got ${iops}`;
  }
  if (range.perGiB !== undefined && iops > range.perGiB * sizeGiB && iops > range.min) {
    return `iops for ${type} may be at most ${range.perGiB} per GiB (${range.perGiB * sizeGiB} for ${sizeGiB} GiB), got ${iops}`;
  }
  return undefined;
}
