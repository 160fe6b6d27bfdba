import { z } from 'zod';

/**
 * What a host reports while a long command runs (`POST /hosts/{id}/commands/{cmdId}/progress`):
 * how far the work is, when it knows (a mirror job's QMP `current-progress` / `total-progress`,
 * in bytes), or nothing but that the command is still running.
 */
export const CommandProgressRequestSchema = z.strictObject({
  current: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  total: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type CommandProgress = z.infer<typeof CommandProgressRequestSchema>;

/**
 * Whether a report is progress: a report without figures is (the host says the command still
 * runs), and one with figures is when they moved since the last report. Figures that stand still
 * are not, so a stuck copy job times out like a silent host.
 */
export function isProgress(report: CommandProgress, last: CommandProgress | undefined): boolean {
  if (report.current === undefined && report.total === undefined) return true;
  return report.current !== last?.current || report.total !== last?.total;
}

/** Error name with which a waiting task is failed when its host stopped reporting progress. */
export const HOST_TASK_STALLED = 'HostTaskStalled';
