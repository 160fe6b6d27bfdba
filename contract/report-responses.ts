import { z } from 'zod';
import { REPORT_SOURCES } from '../core/diagnostics/report-format';
import { REPORT_ID_PATTERN, REPORT_STATUSES } from '../core/diagnostics/report';
import { RULE_ID_PATTERN, SEVERITIES } from '../core/diagnostics/rule';
import { responseSchemas } from './responses';

/** What the diagnostics routes answer (docs/diagnostics.md). Customer views are strict, like the volume views. */
const Timestamp = z.iso.datetime({ offset: true });
const ReportId = z.string().regex(REPORT_ID_PATTERN);
const IssueId = z.string().regex(RULE_ID_PATTERN);
const FactValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.string())]);

export const ReportUploadSchema = z
  .strictObject({ reportId: ReportId, uploadUrl: z.url(), uploadHeaders: z.record(z.string(), z.string()), expiresAt: Timestamp })
  .register(responseSchemas, { id: 'ReportUpload', description: 'PUT the tar.gz to uploadUrl with exactly uploadHeaders before expiresAt' });

const Solution = z.strictObject({
  rank: z.number().int().min(1),
  title: z.string(),
  steps: z.array(z.string()),
  commands: z.array(z.string()).optional(),
  links: z.array(z.string()).optional(),
});

const Evidence = z.strictObject({
  fact: z.string().optional(),
  value: FactValue.optional(),
  log: z.string().optional(),
  regex: z.string().optional(),
  count: z.number().int().optional(),
  lines: z.array(z.string()).optional(),
});

const ReportBase = {
  reportId: ReportId,
  status: z.enum(REPORT_STATUSES),
  source: z.enum(REPORT_SOURCES),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  reason: z.string().optional(),
};

export const ReportViewSchema = z
  .strictObject({
    ...ReportBase,
    result: z
      .strictObject({
        matches: z.array(
          z.strictObject({ issueId: IssueId, version: z.number().int(), title: z.string(), severity: z.enum(SEVERITIES), cause: z.string(), solutions: z.array(Solution) }),
        ),
        insufficientEvidence: z.array(z.strictObject({ issueId: IssueId, title: z.string(), missing: z.array(z.string()) })),
        rulesEvaluated: z.number().int(),
        needsReview: z.boolean(),
      })
      .optional(),
    manifest: z
      .strictObject({
        hostname: z.string(),
        collectedAt: z.string(),
        source: z.enum(REPORT_SOURCES),
        collectors: z.array(z.strictObject({ name: z.string(), status: z.string(), error: z.string().optional() })),
      })
      .optional(),
    facts: z.array(z.strictObject({ issueId: IssueId, evidence: z.array(Evidence) })).optional(),
  })
  .register(responseSchemas, {
    id: 'Report',
    description: 'A report: status, and when diagnosed its result (default view) or the facts the matched rules used and the manifest (view=technician)',
  });

export const ReportListSchema = z
  .strictObject({ reports: z.array(z.strictObject({ reportId: ReportId, status: z.enum(REPORT_STATUSES), createdAt: Timestamp })) })
  .register(responseSchemas, { id: 'ReportList', description: "The caller's reports, newest first (at most 100)" });

export const FeedbackReceiptSchema = z
  .strictObject({ reportId: ReportId, issueId: IssueId, helpful: z.boolean() })
  .register(responseSchemas, { id: 'FeedbackReceipt' });

export const ReviewQueueSchema = z
  .object({
    reports: z.array(
      z.object({ reportId: ReportId, status: z.enum(REPORT_STATUSES), createdAt: Timestamp, owner: z.string(), errorSignals: z.number().int(), source: z.enum(REPORT_SOURCES) }),
    ),
  })
  .register(responseSchemas, { id: 'ReviewQueue', description: 'Diagnosed reports with kernel/I/O/OOM errors that matched no rule, oldest first' });

export const KnownIssueListSchema = z
  .object({
    knownIssues: z.array(
      z.object({ id: IssueId, title: z.string(), severity: z.enum(SEVERITIES), scope: z.enum(['global', 'private']), version: z.number().int(), updatedAt: Timestamp }),
    ),
  })
  .register(responseSchemas, { id: 'KnownIssueList' });

export const KnownIssueSchema = z
  .object({ id: IssueId, version: z.number().int().min(1), scope: z.enum(['global', 'private']), owner: z.string().optional(), updatedAt: Timestamp })
  .register(responseSchemas, { id: 'KnownIssue', description: 'The stored rule at its new version (the rule fields besides these are echoed)' });

export const OccurrencesSchema = z
  .object({
    issueId: IssueId,
    windowHours: z.number().int(),
    since: Timestamp,
    reports: z.number().int(),
    hosts: z.number().int(),
    latest: z.array(z.object({ reportId: ReportId, at: Timestamp, hostId: z.string().optional() })),
  })
  .register(responseSchemas, { id: 'KnownIssueOccurrences', description: 'How many reports and distinct hosts matched the rule in the window' });
