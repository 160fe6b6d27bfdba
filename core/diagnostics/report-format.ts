import { z } from 'zod';

/**
 * The diagnostic report format both sides code against (docs/diagnostics.md, "Report format"):
 * a gzip-compressed tar of regular files and directories under one top folder `report/`, with
 * `report/manifest.json` and one file per source under `report/files/`.
 */
export const REPORT_ROOT = 'report/';
export const MANIFEST_PATH = 'report/manifest.json';
export const FILES_PREFIX = 'report/files/';

export interface ReportLimits {
  readonly maxFileBytes: number;
  readonly maxUnpackedBytes: number;
  readonly maxEntries: number;
  readonly maxUploadBytes: number;
}

/** Caps both sides enforce. */
export const REPORT_LIMITS: ReportLimits = {
  /** One file, unpacked. */
  maxFileBytes: 16 * 1024 * 1024,
  /** All files together, unpacked. */
  maxUnpackedBytes: 64 * 1024 * 1024,
  /** Files and directories. */
  maxEntries: 2_000,
  /** The uploaded tar.gz. */
  maxUploadBytes: 16 * 1024 * 1024,
};

export const REPORT_SOURCES = ['host', 'instance', 'offline'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

export const COLLECTOR_STATUSES = ['ok', 'failed', 'timed-out', 'absent'] as const;

const isoDate = z.string().max(64).refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date');

export const ManifestSchema = z.object({
  formatVersion: z.literal(1),
  source: z.enum(REPORT_SOURCES),
  hostId: z.string().max(128).optional(),
  hostname: z.string().max(255),
  collectedAt: isoDate,
  since: isoDate.optional(),
  offlineRoot: z.string().max(4096).optional(),
  collectors: z
    .array(
      z.object({
        name: z.string().min(1).max(64),
        status: z.enum(COLLECTOR_STATUSES),
        durationMs: z.number().nonnegative().optional(),
        bytes: z.number().int().nonnegative().optional(),
        files: z.array(z.string().max(256)).max(64).optional(),
        error: z.string().max(4096).optional(),
      }),
    )
    .max(256),
  redactions: z.number().int().nonnegative().optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A report after a safe unpack: its manifest and its source files by name under `report/files/` (e.g. `dmesg.txt`, `logs/syslog`). */
export interface UnpackedReport {
  readonly manifest: Manifest;
  readonly files: ReadonlyMap<string, string>;
}
