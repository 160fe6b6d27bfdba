/**
 * Reports the usage of the filesystem mounted on the volume to `POST /volumes/{id}/utilization`:
 * once at the start, then every `intervalSeconds`, until stopped. It runs in the attach bridge's
 * process (bin/attach-bridge-process.ts), which lives exactly as long as the attachment on this
 * host: `detach` stops the bridge and so the reports.
 *
 * A round that fails (the API down, a 4xx, statfs failing) changes nothing else in the bridge:
 * it is said once in the log and tried again the next period. With `device` (kernel NBD mode)
 * a round reports only while `mountpoint` is mounted from that device or one of its
 * partitions: before the filesystem is mounted, statfs of the directory would measure the
 * filesystem beneath it.
 */
import { promises as fs } from 'node:fs';
import { silentLogger, type AgentLogger } from '../../agent/util/logger';
import {
  isDeviceOrPartition,
  mountSourceOf,
  nextReportDelayMs,
  noticeFor,
  usageFromStatfs,
  type FilesystemUsage,
  type ReportOutcome,
  type StatfsNumbers,
} from './usage-report';

export interface UsageReporterOptions {
  /** The directory whose filesystem is measured (absolute). */
  readonly mountpoint: string;
  readonly intervalSeconds: number;
  /** Kernel NBD mode: report only while `mountpoint` is mounted from this device. @default report whatever is mounted there */
  readonly device?: string;
  /** Sends one report (`POST /volumes/{id}/utilization` with `{usedGiB}`); rejects when it was not taken. */
  readonly report: (usedGiB: number) => Promise<void>;
  /** @default fs.statfs */
  readonly statfs?: (path: string) => Promise<StatfsNumbers>;
  /** @default reads /proc/mounts */
  readonly readMounts?: () => Promise<string>;
  /** @default silentLogger */
  readonly logger?: AgentLogger;
}

export class UsageReporter {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private last: ReportOutcome['kind'] | undefined;
  private readonly statfs: (path: string) => Promise<StatfsNumbers>;
  private readonly readMounts: () => Promise<string>;
  private readonly logger: AgentLogger;
  /** Reports the API took since the start (for tests). */
  reports = 0;

  constructor(private readonly options: UsageReporterOptions) {
    this.statfs = options.statfs ?? ((path) => fs.statfs(path));
    this.readMounts = options.readMounts ?? (() => fs.readFile('/proc/mounts', 'utf8'));
    this.logger = (options.logger ?? silentLogger).child({ mountpoint: options.mountpoint, intervalSeconds: options.intervalSeconds });
  }

  /** Reports now, then every interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** No report is started after this; one in flight finishes and schedules nothing. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), delayMs);
  }

  private async round(): Promise<void> {
    if (!this.running) return;
    const startedAt = Date.now();
    const outcome = await this.attempt();
    if (outcome.kind === 'reported') this.reports += 1;
    const notice = noticeFor(this.last, outcome);
    if (notice) this.logger[notice.level](notice.message, outcome.kind === 'reported' ? { ...outcome.usage } : {});
    this.last = outcome.kind;
    if (this.running) this.schedule(nextReportDelayMs(this.options.intervalSeconds, startedAt, Date.now()));
  }

  private async attempt(): Promise<ReportOutcome> {
    let usage: FilesystemUsage;
    try {
      if (this.options.device) {
        const source = mountSourceOf(await this.readMounts(), this.options.mountpoint);
        if (!source || !isDeviceOrPartition(source, this.options.device)) {
          return { kind: 'not-mounted', reason: `${this.options.mountpoint} is ${source ? `mounted from ${source}` : 'not a mount point'}, not from ${this.options.device}` };
        }
      }
      usage = usageFromStatfs(await this.statfs(this.options.mountpoint));
    } catch (error) {
      return { kind: 'failed', reason: `cannot measure ${this.options.mountpoint}: ${(error as Error).message}` };
    }
    try {
      await this.options.report(usage.usedGiB);
      return { kind: 'reported', usage };
    } catch (error) {
      return { kind: 'failed', reason: (error as Error).message };
    }
  }
}
