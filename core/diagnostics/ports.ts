import type { Diagnosis } from './diagnose';
import type { ReportOwner, ReportRecord } from './report';
import type { KnownIssue, Rule } from './rule';

export interface ReportSummary {
  readonly reportId: string;
  readonly status: ReportRecord['status'];
  readonly createdAt: string;
  readonly retainUntil: string;
  readonly uploadExpiresAt: string;
  readonly source: ReportRecord['source'];
}

export interface ReportRepository {
  create(report: ReportRecord): Promise<void>;
  get(reportId: string): Promise<ReportRecord | undefined>;
  /** The owner's reports, newest first. */
  listByOwner(owner: ReportOwner, limit: number): Promise<readonly ReportSummary[]>;
  /** `awaiting-upload` → `processing`; false when the report is in any other state (a repeated event). */
  markProcessing(reportId: string, at: Date): Promise<boolean>;
  /** `processing` → `diagnosed` with the result; a result that needs review joins the review queue. */
  recordDiagnosis(reportId: string, result: Diagnosis, at: Date): Promise<void>;
  /** `awaiting-upload` or `processing` → `failed` with the reason; false when the report had already ended. */
  recordFailure(reportId: string, reason: string, at: Date): Promise<boolean>;
  /** Diagnosed reports with errors but no match, oldest first. */
  reviewQueue(limit: number): Promise<readonly (ReportSummary & { readonly owner: ReportOwner; readonly errorSignals: number })[]>;
}

/** Where uploads land: presigned PUTs for clients, bounded reads for the processor. */
export interface ReportUploads {
  /** A PUT URL for exactly `key`, `contentType` and `contentLength`, valid `expiresInSeconds`. */
  presignPut(key: string, options: { contentType: string; contentLength: number; expiresInSeconds: number }): Promise<{ url: string; headers: Record<string, string> }>;
  /** The object's size, or undefined when there is none. */
  sizeOf(key: string): Promise<number | undefined>;
  read(key: string): Promise<Buffer>;
}

export interface Occurrence {
  readonly reportId: string;
  readonly owner: ReportOwner;
  readonly hostId?: string;
  readonly at: string;
}

export interface KnownIssueStore {
  /** The current version of every global rule, and of the private rules of `owner`. */
  listCurrent(owner?: ReportOwner): Promise<readonly KnownIssue[]>;
  get(issueId: string): Promise<KnownIssue | undefined>;
  /** Stores `rule` as the next version (1 for a new id); refuses a private rule over another owner's, or a scope change of a global one. */
  put(rule: Rule, scope: KnownIssue['scope'], owner: string | undefined, at: Date): Promise<KnownIssue>;
  /** Stores `rule` unless its current version has the same content (deploy-time loading; idempotent). */
  putIfChanged(rule: Rule, at: Date): Promise<KnownIssue>;
  recordOccurrences(issueIds: readonly string[], occurrence: Occurrence, retainUntil: string): Promise<void>;
  occurrences(issueId: string, since: Date, limit: number): Promise<readonly Occurrence[]>;
  recordFeedback(issueId: string, reportId: string, owner: ReportOwner, helpful: boolean, at: Date): Promise<void>;
}
