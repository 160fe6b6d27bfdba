/**
 * The pure part of `blockplane attach --report-usage DIR` (docs/attach.md, "Reporting the
 * filesystem's usage"): what a statfs of the mounted filesystem means as a report, whether the
 * directory is the volume's filesystem yet, how long to wait before the next report, and which
 * outcome is worth a log line. The timer and the calls are in usage-reporter.ts.
 */
import { UTILIZATION_FRESH_SECONDS } from '../../core/volume-policy';

/**
 * How often the bridge reports. The maximum is the age past which the control plane no longer
 * counts a report (core/volume-policy.ts), so a reporter always keeps a fresh one.
 */
export const REPORT_INTERVAL_SECONDS = { default: 60, min: 5, max: UTILIZATION_FRESH_SECONDS } as const;

const GiB = 1024 ** 3;

/** What `attach --report-usage` asks the bridge for (kept in bridge.json and state.json). */
export interface UsageReportSettings {
  /** The directory whose filesystem is measured, absolute. */
  readonly mountpoint: string;
  readonly intervalSeconds: number;
  /** Kernel NBD mode: only while `mountpoint` is mounted from this device (or a partition of it). */
  readonly device?: string;
}

/** Same directory, period and device (a re-run of attach that keeps the bridge compares them). */
export function sameUsageReport(a: UsageReportSettings | undefined, b: UsageReportSettings | undefined): boolean {
  return a?.mountpoint === b?.mountpoint && a?.intervalSeconds === b?.intervalSeconds && a?.device === b?.device;
}

/** The fields of Node's `fs.statfs` that usage needs (sizes in blocks of `bsize` bytes). */
export interface StatfsNumbers {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
}

export interface FilesystemUsage {
  readonly usedBytes: number;
  /** What `POST /volumes/{id}/utilization` takes: used bytes in GiB, to three decimals (about 1 MiB). */
  readonly usedGiB: number;
  /**
   * The filesystem's own use as `df` shows it: used / (used + available to users), rounded up.
   * Blocks reserved for root count as neither.
   */
  readonly percent: number;
}

/** Usage as `df` computes it: used = (blocks − bfree) × bsize. */
export function usageFromStatfs(stats: StatfsNumbers): FilesystemUsage {
  const usedBlocks = Math.max(0, stats.blocks - stats.bfree);
  const usedBytes = usedBlocks * stats.bsize;
  const denominator = usedBlocks + stats.bavail;
  return {
    usedBytes,
    usedGiB: Math.round((usedBytes / GiB) * 1000) / 1000,
    percent: denominator === 0 ? 0 : Math.ceil((100 * usedBlocks) / denominator),
  };
}

/** `/proc/mounts` escapes space, tab, newline and backslash as `\ooo`. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** What is mounted on `mountpoint` according to `/proc/mounts` (the last mount wins), or undefined. */
export function mountSourceOf(procMounts: string, mountpoint: string): string | undefined {
  let source: string | undefined;
  for (const line of procMounts.split('\n')) {
    const [device, target] = line.split(' ');
    if (device && target && unescapeMountField(target) === mountpoint) source = unescapeMountField(device);
  }
  return source;
}

/** `/dev/nbd0` itself or one of its partitions (`/dev/nbd0p1`), not `/dev/nbd01`. */
export function isDeviceOrPartition(source: string, device: string): boolean {
  return source === device || new RegExp(`^${device.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}p[0-9]+$`).test(source);
}

/**
 * How long to wait after a report that started at `startedAtMs` so reports keep one cadence
 * however long each took (never negative, never more than one interval).
 */
export function nextReportDelayMs(intervalSeconds: number, startedAtMs: number, nowMs: number): number {
  const intervalMs = intervalSeconds * 1000;
  return Math.min(intervalMs, Math.max(0, startedAtMs + intervalMs - nowMs));
}

/** One round's result: reported, skipped because the directory is not the volume's filesystem yet, or failed. */
export type ReportOutcome =
  | { readonly kind: 'reported'; readonly usage: FilesystemUsage }
  | { readonly kind: 'not-mounted'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface Notice {
  readonly level: 'info' | 'warn';
  readonly message: string;
}

/**
 * The line to log for `outcome` after `previous`, or undefined: a failure or a wait for the
 * mount is said once when it begins (not every period while it lasts), and so is the first
 * report and the first one after a failure. Reports in a row say nothing.
 */
export function noticeFor(previous: ReportOutcome['kind'] | undefined, outcome: ReportOutcome): Notice | undefined {
  if (outcome.kind === previous) return undefined;
  switch (outcome.kind) {
    case 'reported':
      return { level: 'info', message: previous === undefined ? 'reporting the filesystem usage' : 'reporting the filesystem usage again' };
    case 'not-mounted':
      return { level: 'info', message: `not reporting until the volume is mounted: ${outcome.reason}` };
    case 'failed':
      return { level: 'warn', message: `could not report the filesystem usage; retrying every period: ${outcome.reason}` };
    default: {
      const never: never = outcome;
      throw new Error(`unknown report outcome ${JSON.stringify(never)}`);
    }
  }
}
