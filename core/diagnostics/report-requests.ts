import { z } from 'zod';
import { REPORT_LIMITS, REPORT_SOURCES } from './report-format';
import { MAX_UPLOAD_URL_SECONDS, REPORT_ID_PATTERN } from './report';
import { RULE_ID_PATTERN, RuleSchema } from './rule';

export const ReportIdSchema = z.string().regex(REPORT_ID_PATTERN, 'a report id like rpt-0123456789abcdef0');
export const IssueIdSchema = z.string().regex(RULE_ID_PATTERN, 'a known-issue id like oom-killer');

export const CreateReportRequestSchema = z.strictObject({
  source: z.enum(REPORT_SOURCES),
  hostId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/).optional(),
  description: z.string().max(1000).optional(),
  /** The exact size of the tar.gz the client will PUT; signed into the URL, so S3 refuses any other length. */
  contentLength: z.number().int().min(1).max(REPORT_LIMITS.maxUploadBytes),
  /** @default 900 (15 minutes, the longest allowed) */
  expiresInSeconds: z.number().int().min(1).max(MAX_UPLOAD_URL_SECONDS).optional(),
});
export type CreateReportRequest = z.infer<typeof CreateReportRequestSchema>;

export const ReportViewQuerySchema = z.strictObject({ view: z.enum(['technician']).optional() });

export const FeedbackRequestSchema = z.strictObject({ issueId: IssueIdSchema, helpful: z.boolean() });

export const OccurrencesQuerySchema = z.strictObject({
  /** How far back to count, in hours. @default 24 */
  windowHours: z.coerce.number().int().min(1).max(24 * 30).optional(),
});

/** POST /known-issues: a global rule applies to every report; a private one names the report owner it is for (`tenant-<id>` or `host-<id>`). */
export const PutKnownIssueRequestSchema = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('global'), rule: RuleSchema }),
  z.strictObject({ scope: z.literal('private'), owner: z.string().regex(/^(tenant|host)-[A-Za-z0-9:-]{1,140}$/), rule: RuleSchema }),
]);
