/**
 * Builds one report: runs the collectors (a few at a time, each within its own timeout and
 * cap), redacts what they gathered, writes the manifest and packs `report.tar.gz` within the
 * contract's caps (docs/diagnostics-collector.md).
 *
 * Caps: a collector whose files would take the report over its unpacked size or entry count
 * is `failed` with the reason; when the compressed archive is over its cap, the largest file
 * is halved (a log keeps its newest half) and marked truncated, until it fits.
 */
import * as os from 'node:os';
import { CollectedFile, Collector, CollectorStatus, ManifestEntry, ReportSource, runCollector } from './collector';
import { defaultCollectors } from './collectors';
import type { FileRoot } from './file-root';
import { redact } from './redaction';
import { REPORT_FORMAT_VERSION, REPORT_LIMITS, ReportLimits, ReportManifest } from './report-manifest';
import { TarEntry, writeTarGz } from './tar-writer';

export interface BuildReportOptions {
  source: ReportSource;
  /** `/` on a live machine; the mounted root offline. */
  root: FileRoot;
  since: Date;
  /** @default the current time */
  now?: Date;
  hostId?: string;
  /** @default os.hostname(), or offline the root's etc/hostname */
  hostname?: string;
  /** @default defaultCollectors() */
  collectors?: readonly Collector[];
  /** Run after the default ones (a storage host adds its agent's state). */
  extraCollectors?: readonly Collector[];
  /** @default 4 - collectors running at once */
  concurrency?: number;
  /** @default REPORT_LIMITS */
  limits?: ReportLimits;
}

export interface BuiltReport {
  archive: Buffer;
  manifest: ReportManifest;
}

const DEFAULT_CONCURRENCY = 4;
/** Halvings of the largest file before a report that does not compress under its cap is refused. */
const MAX_SHRINK_STEPS = 32;
const TOP = 'report';
/** Entries kept for the directories and the manifest when counting files against the entry cap. */
const RESERVED_ENTRIES = 16;
const LOG_FILE = /^(logs\/|journal\.txt$|dmesg\.txt$|sar\.txt$)/;

export class ReportTooLargeError extends Error {
  constructor(bytes: number, limit: number) {
    super(`the report is ${bytes} bytes compressed, over the ${limit}-byte cap`);
    this.name = 'ReportTooLargeError';
  }
}

export async function buildReport(options: BuildReportOptions): Promise<BuiltReport> {
  const now = options.now ?? new Date();
  const limits = options.limits ?? REPORT_LIMITS;
  const collectors = [...(options.collectors ?? defaultCollectors()), ...(options.extraCollectors ?? [])];
  const outcomes = await runAll(collectors, options.concurrency ?? DEFAULT_CONCURRENCY, (collector) =>
    runCollector(collector, { source: options.source, since: options.since, now, root: options.root }),
  );

  let redactions = 0;
  let unpacked = 0;
  let entries = 0;
  const files: CollectedFile[] = [];
  const manifestEntries: ManifestEntry[] = [];
  for (const outcome of outcomes) {
    const redacted = outcome.files.map((file) => {
      const result = redact(file.content.toString('utf8'));
      redactions += result.count;
      return { ...file, content: result.count > 0 ? Buffer.from(result.text, 'utf8') : file.content };
    });
    const bytes = redacted.reduce((sum, file) => sum + file.content.length, 0);
    const tooBig = redacted.find((file) => file.content.length > limits.fileBytes);
    const overReport = unpacked + bytes > limits.unpackedBytes ? `the report's ${limits.unpackedBytes}-byte cap` : entries + redacted.length > limits.entries - RESERVED_ENTRIES ? `the report's ${limits.entries}-entry cap` : undefined;
    if (tooBig || overReport) {
      manifestEntries.push({ ...outcome.entry, status: CollectorStatus.Failed, bytes: 0, files: [], error: tooBig ? `${tooBig.name} is over the ${limits.fileBytes}-byte file cap` : `left out: over ${overReport}` });
      continue;
    }
    unpacked += bytes;
    entries += redacted.length;
    files.push(...redacted);
    manifestEntries.push({ ...outcome.entry, bytes });
  }

  const manifest: ReportManifest = {
    formatVersion: REPORT_FORMAT_VERSION,
    source: options.source,
    ...(options.hostId ? { hostId: options.hostId } : {}),
    hostname: options.hostname ?? (await hostnameOf(options)),
    collectedAt: now.toISOString(),
    since: options.since.toISOString(),
    ...(options.source === 'offline' ? { offlineRoot: options.root.root } : {}),
    collectors: manifestEntries,
    redactions,
  };
  return { archive: pack(manifest, files, now, limits.compressedBytes), manifest };
}

function pack(manifest: ReportManifest, initial: CollectedFile[], now: Date, compressedLimit: number): Buffer {
  let files = initial;
  for (let step = 0; ; step++) {
    const archive = writeTarGz(tarEntries(manifest, files), now);
    if (archive.length <= compressedLimit) return archive;
    const largest = files.reduce((best, file) => (file.content.length > best.content.length ? file : best), files[0]);
    if (step >= MAX_SHRINK_STEPS || !largest || largest.content.length === 0) throw new ReportTooLargeError(archive.length, compressedLimit);
    const half = Math.floor(largest.content.length / 2);
    const content = LOG_FILE.test(largest.name) ? largest.content.subarray(largest.content.length - half) : largest.content.subarray(0, half);
    files = files.map((file) => (file === largest ? { ...file, content, truncated: true } : file));
    const entry = manifest.collectors.find((candidate) => candidate.files.includes(`files/${largest.name}`));
    if (entry) {
      entry.bytes -= largest.content.length - content.length;
      entry.truncated = true;
    }
  }
}

function tarEntries(manifest: ReportManifest, files: readonly CollectedFile[]): TarEntry[] {
  const dirs = new Set<string>([TOP, `${TOP}/files`]);
  for (const file of files) {
    const parts = file.name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${TOP}/files/${parts.slice(0, i).join('/')}`);
  }
  return [
    ...[...dirs].map((path): TarEntry => ({ type: 'directory', path })),
    { type: 'file', path: `${TOP}/manifest.json`, content: Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8') },
    ...files.map((file): TarEntry => ({ type: 'file', path: `${TOP}/files/${file.name}`, content: file.content })),
  ];
}

async function hostnameOf(options: BuildReportOptions): Promise<string> {
  if (options.source !== 'offline') return os.hostname();
  try {
    const file = await options.root.regularFile('etc/hostname');
    const name = (await options.root.readHead(file, 256)).content.toString('utf8').trim();
    return name || 'unknown';
  } catch {
    // An image without etc/hostname (or an unreadable one): the report still says where it came from (offlineRoot).
    return 'unknown';
  }
}

async function runAll<T, R>(items: readonly T[], concurrency: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

