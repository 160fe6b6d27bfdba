import { randomBytes } from 'node:crypto';
import type { Diagnosis } from './diagnose';
import type { ReportSource } from './report-format';

export const REPORT_ID_PATTERN = /^rpt-[0-9a-f]{17}$/;
export const newReportId = (): string => `rpt-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** Reports and their results are kept this long (S3 lifecycle, DynamoDB TTL, and enforced on read). */
export const REPORT_RETENTION_DAYS = 30;
/** The longest an upload URL is valid. */
export const MAX_UPLOAD_URL_SECONDS = 15 * 60;

export const REPORT_STATUSES = ['awaiting-upload', 'processing', 'diagnosed', 'failed', 'expired'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/**
 * Who a report belongs to: `tenant-<tenant id>` for a customer, `host-<host id>` for a storage
 * host. Tenant ids are upper-case IAM ids and host ids lower-case, but the prefix keeps them
 * apart whatever the ids look like. It is also the key's second segment.
 */
export type ReportOwner = `tenant-${string}` | `host-${string}`;

export interface ReportRecord {
  readonly reportId: string;
  readonly owner: ReportOwner;
  readonly source: ReportSource;
  readonly hostId?: string;
  readonly description?: string;
  readonly objectKey: string;
  readonly status: Exclude<ReportStatus, 'expired'>;
  readonly createdAt: string;
  /** The upload URL stops working at this time; a report not uploaded by then is expired. */
  readonly uploadExpiresAt: string;
  /** The report and its result are gone (or treated as gone) after this time. */
  readonly retainUntil: string;
  readonly updatedAt: string;
  /** Set when `failed`: why, in words a user can act on. */
  readonly reason?: string;
  /** Set when `diagnosed`: the read-only result. */
  readonly result?: Diagnosis;
}

export const objectKeyOf = (owner: ReportOwner, reportId: string): string => `reports/${owner}/${reportId}/report.tar.gz`;

/** `reports/<owner>/<reportId>/report.tar.gz` back to its parts; undefined for any other key. */
export function parseObjectKey(key: string): { owner: ReportOwner; reportId: string } | undefined {
  const match = /^reports\/((?:tenant|host)-[A-Za-z0-9:-]{1,140})\/(rpt-[0-9a-f]{17})\/report\.tar\.gz$/.exec(key);
  return match ? { owner: match[1] as ReportOwner, reportId: match[2] } : undefined;
}

/** The status a caller sees: the stored one, or `expired` once the retention (or an unused upload URL) ran out. */
export function statusAt(report: Pick<ReportRecord, 'status' | 'retainUntil' | 'uploadExpiresAt'>, now: Date): ReportStatus {
  if (now.getTime() >= Date.parse(report.retainUntil)) return 'expired';
  if (report.status === 'awaiting-upload' && now.getTime() > Date.parse(report.uploadExpiresAt)) return 'expired';
  return report.status;
}
