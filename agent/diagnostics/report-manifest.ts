/** `report/manifest.json` (the contract's report format, docs/diagnostics-collector.md). */
import type { ManifestEntry, ReportSource } from './collector';

export const REPORT_FORMAT_VERSION = 1;

export interface ReportManifest {
  formatVersion: typeof REPORT_FORMAT_VERSION;
  source: ReportSource;
  hostId?: string;
  hostname: string;
  collectedAt: string;
  since: string;
  offlineRoot?: string;
  collectors: ManifestEntry[];
  /** Secrets replaced in the report's files. */
  redactions: number;
}

export interface ReportLimits {
  readonly fileBytes: number;
  readonly unpackedBytes: number;
  readonly entries: number;
  readonly compressedBytes: number;
}

/** The contract's caps, enforced by both sides. */
export const REPORT_LIMITS: ReportLimits = {
  fileBytes: 16 * 1024 * 1024,
  unpackedBytes: 64 * 1024 * 1024,
  entries: 2_000,
  compressedBytes: 16 * 1024 * 1024,
};
