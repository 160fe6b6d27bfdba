import {
  CreateReportRequestSchema,
  FeedbackRequestSchema,
  IssueIdSchema,
  OccurrencesQuerySchema,
  PutKnownIssueRequestSchema,
  ReportIdSchema,
  ReportViewQuerySchema,
} from '../core/diagnostics/report-requests';
import {
  FeedbackReceiptSchema,
  KnownIssueListSchema,
  KnownIssueSchema,
  OccurrencesSchema,
  ReportListSchema,
  ReportUploadSchema,
  ReportViewSchema,
  ReviewQueueSchema,
} from './report-responses';
import type { ApiRoute } from './routes';

const reportId = { reportId: ReportIdSchema };

/** The diagnostics routes (docs/diagnostics.md, "API"). */
export const REPORT_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'CreateReport', method: 'post', path: '/reports', caller: 'customer-or-host',
    summary: 'Records a diagnostic report awaiting upload and returns a presigned PUT (one key, content type and exact length signed, at most 15 minutes)',
    body: CreateReportRequestSchema,
    success: { status: 201, description: 'Where and how to upload the report', schema: ReportUploadSchema },
    errors: [413],
  },
  {
    operationId: 'ListReports', method: 'get', path: '/reports', caller: 'customer-or-host',
    summary: "Lists the caller's reports with their statuses",
    success: { status: 200, description: 'The reports', schema: ReportListSchema },
    errors: [],
  },
  {
    operationId: 'GetReport', method: 'get', path: '/reports/{reportId}', caller: 'customer-or-host',
    summary: "One of the caller's reports: status and result (view=technician: the facts the matched rules used, and the manifest)",
    pathParameters: reportId,
    query: ReportViewQuerySchema,
    success: { status: 200, description: 'The report', schema: ReportViewSchema },
    errors: [404],
  },
  {
    operationId: 'RecordReportFeedback', method: 'post', path: '/reports/{reportId}/feedback', caller: 'customer-or-host',
    summary: 'Says whether one match of a diagnosed report helped; stored per rule',
    pathParameters: reportId,
    body: FeedbackRequestSchema,
    success: { status: 201, description: 'The feedback was stored', schema: FeedbackReceiptSchema },
    errors: [404, 413],
  },
  {
    operationId: 'ListReviewQueue', method: 'get', path: '/review-queue', caller: 'operator',
    summary: 'Operators: diagnosed reports that show errors but matched no rule',
    success: { status: 200, description: 'The queue', schema: ReviewQueueSchema },
    errors: [],
  },
  {
    operationId: 'ListKnownIssues', method: 'get', path: '/known-issues', caller: 'operator',
    summary: 'Operators: the current version of every known-issue rule',
    success: { status: 200, description: 'The rules', schema: KnownIssueListSchema },
    errors: [],
  },
  {
    operationId: 'PutKnownIssue', method: 'post', path: '/known-issues', caller: 'operator',
    summary: 'Operators: validates a known-issue rule and stores it as its next version (global, or private to one report owner)',
    body: PutKnownIssueRequestSchema,
    success: { status: 201, description: 'The rule as stored', schema: KnownIssueSchema },
    errors: [409, 413],
  },
  {
    operationId: 'GetKnownIssueOccurrences', method: 'get', path: '/known-issues/{issueId}/occurrences', caller: 'operator',
    summary: 'Operators: how many reports and hosts matched a rule in a window (default 24 h)',
    pathParameters: { issueId: IssueIdSchema },
    query: OccurrencesQuerySchema,
    success: { status: 200, description: 'The counts and the latest matches', schema: OccurrencesSchema },
    errors: [404],
  },
];
