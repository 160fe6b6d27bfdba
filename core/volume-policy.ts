import { z } from 'zod';
import type { Volume } from './volume';
import { MAX_SIZE_GIB } from './volume-requests';

/**
 * Automatic adjustment of one volume (docs/modification.md, "Automatic adjustment"): grow by
 * `stepPercent` when the reported utilization reaches `maxUtilizationPercent`, up to `maxSizeGiB`.
 * `autoShrink` is accepted and stored, but no shrink is ever made yet (no high-water mark of
 * written data: every shrink is refused, core/modification-target.ts).
 */
export const VolumePolicySchema = z.strictObject({
  autoGrow: z
    .strictObject({
      maxUtilizationPercent: z.number().int().min(1).max(100),
      stepPercent: z.number().int().min(1).max(1000),
      maxSizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB),
    })
    .optional(),
  autoShrink: z
    .strictObject({
      minUtilizationPercent: z.number().int().min(0).max(99),
      periodHours: z.number().int().min(1).max(8760),
      minSizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB),
    })
    .optional(),
});
export type VolumePolicy = z.infer<typeof VolumePolicySchema>;

/** `POST /volumes/{id}/utilization`: the mounted filesystem's use, as the attach side sees it. */
export const UtilizationReportSchema = z.strictObject({
  usedGiB: z.number().min(0).max(MAX_SIZE_GIB),
});
export type UtilizationReport = z.infer<typeof UtilizationReportSchema>;

export interface Utilization {
  readonly usedGiB: number;
  /** Of the volume's size when reported. */
  readonly percent: number;
  readonly reportedAt: string;
}

export function utilizationOf(volume: Pick<Volume, 'sizeGiB'>, report: UtilizationReport, at: Date): Utilization {
  return { usedGiB: report.usedGiB, percent: Math.min(100, Math.round((100 * report.usedGiB) / volume.sizeGiB)), reportedAt: at.toISOString() };
}

/** Reports older than this are not evidence for a change. */
export const UTILIZATION_FRESH_SECONDS = 15 * 60;

/** The size an auto-grow asks for now, or undefined when the policy asks for nothing (pure). */
export function autoGrowTarget(volume: Pick<Volume, 'sizeGiB'>, policy: VolumePolicy | undefined, utilization: Utilization | undefined, now: Date): number | undefined {
  const grow = policy?.autoGrow;
  if (!grow || !utilization) return undefined;
  if (now.getTime() - Date.parse(utilization.reportedAt) > UTILIZATION_FRESH_SECONDS * 1000) return undefined;
  const percent = (100 * utilization.usedGiB) / volume.sizeGiB;
  if (percent < grow.maxUtilizationPercent || volume.sizeGiB >= grow.maxSizeGiB) return undefined;
  return Math.min(grow.maxSizeGiB, Math.max(volume.sizeGiB + 1, Math.ceil((volume.sizeGiB * (100 + grow.stepPercent)) / 100)));
}
