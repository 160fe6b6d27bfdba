/**
 * One diagnostic source (a command's output or a file's content) and how it is run: each
 * collector has its own timeout and size cap, and its outcome becomes one manifest entry
 * (`ok`, `failed`, `timed-out` or `absent`, with its duration and bytes; docs/diagnostics-collector.md).
 *
 * A collector returns the files it gathered (names relative to `report/files/`), throws
 * {@link SourceAbsentError} when its source does not exist here (a tool not installed, a file
 * not present, a source that has no meaning in offline mode), and anything else is a failure.
 * It must stop when `context.signal` aborts (the runner aborts it at its timeout and reports
 * `timed-out` without waiting for it).
 */
import type { FileRoot } from './file-root';

export const CollectorStatus = { Ok: 'ok', Failed: 'failed', TimedOut: 'timed-out', Absent: 'absent' } as const;
export type CollectorStatus = (typeof CollectorStatus)[keyof typeof CollectorStatus];

/** Where a report is collected: a storage host (agent), a live instance (CLI) or a mounted root (CLI `--offline`). */
export type ReportSource = 'host' | 'instance' | 'offline';

/** One file of the report, its name relative to `report/files/` (`dmesg.txt`, `logs/syslog`). */
export interface CollectedFile {
  readonly name: string;
  readonly content: Buffer;
  /** True when the collector kept only part of the source (its size cap). */
  readonly truncated?: boolean;
}

export interface CollectContext {
  readonly source: ReportSource;
  /** Start of the window: logs older than this are left out. */
  readonly since: Date;
  readonly now: Date;
  /** The files collected: `/`, or the mounted root in offline mode (`source` is `offline`). */
  readonly root: FileRoot;
  /** This collector's size cap in bytes, per file. */
  readonly maxBytes: number;
  /** Aborted at the collector's timeout. */
  readonly signal: AbortSignal;
}

export interface Collector {
  /** The manifest name (`dmesg`, `df-inodes`, `logs-syslog`). */
  readonly name: string;
  /** @default DEFAULT_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** @default DEFAULT_MAX_BYTES - per file; the runner cuts anything longer. */
  readonly maxBytes?: number;
  collect(context: CollectContext): Promise<CollectedFile[]>;
}

export interface ManifestEntry {
  name: string;
  status: CollectorStatus;
  durationMs: number;
  bytes: number;
  files: string[];
  truncated?: boolean;
  error?: string;
}

export interface CollectorOutcome {
  entry: ManifestEntry;
  files: CollectedFile[];
}

/** The source does not exist here: reported `absent`, which is not a failure. */
export class SourceAbsentError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SourceAbsentError';
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
/** The contract's limit for one file of a report. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Redaction may lengthen a file a little; a collector's cap stays this far under {@link MAX_FILE_BYTES}. */
const REDACTION_MARGIN_BYTES = 1024 * 1024;
const MAX_ERROR_LENGTH = 500;

export interface RunCollectorOptions {
  source: ReportSource;
  since: Date;
  now: Date;
  root: FileRoot;
}

/** Runs one collector within its timeout and cap; never rejects. */
export async function runCollector(collector: Collector, options: RunCollectorOptions): Promise<CollectorOutcome> {
  const timeoutMs = collector.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = Math.min(collector.maxBytes ?? DEFAULT_MAX_BYTES, MAX_FILE_BYTES - REDACTION_MARGIN_BYTES);
  const controller = new AbortController();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  const context: CollectContext = { ...options, maxBytes, signal: controller.signal };
  const work = Promise.resolve()
    .then(() => collector.collect(context))
    .then(
      (files) => ({ files }),
      (error: unknown) => ({ error }),
    );
  const result = await Promise.race([work, timedOut]);
  clearTimeout(timer);
  const durationMs = Date.now() - started;
  const base = { name: collector.name, durationMs };
  if (result === 'timed-out') {
    controller.abort();
    return { entry: { ...base, status: CollectorStatus.TimedOut, bytes: 0, files: [], error: `no answer within ${timeoutMs} ms` }, files: [] };
  }
  if ('error' in result) {
    const error = result.error;
    const status = error instanceof SourceAbsentError ? CollectorStatus.Absent : CollectorStatus.Failed;
    return { entry: { ...base, status, bytes: 0, files: [], error: describe(error) }, files: [] };
  }
  const files = result.files.map((file) => capFile(file, maxBytes));
  const truncated = files.some((file) => file.truncated === true);
  return {
    entry: {
      ...base,
      status: CollectorStatus.Ok,
      bytes: files.reduce((sum, file) => sum + file.content.length, 0),
      files: files.map((file) => `files/${file.name}`),
      ...(truncated ? { truncated } : {}),
    },
    files,
  };
}

/** Keeps the first `maxBytes` of a file a collector returned longer than its cap. */
function capFile(file: CollectedFile, maxBytes: number): CollectedFile {
  if (file.content.length <= maxBytes) return file;
  return { name: file.name, content: file.content.subarray(0, maxBytes), truncated: true };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_ERROR_LENGTH);
}
