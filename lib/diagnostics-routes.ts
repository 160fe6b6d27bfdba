import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { BlockplaneFunction } from './blockplane-function';
import { REPORT_KEYS_REASON, type DiagnosticsApiResources } from './diagnostics-stack';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

/** A route as ApiStack builds it (its `Route`), for the diagnostics handlers. */
export interface DiagnosticsRoute {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
}

/** The execute-api paths storage hosts may call for reports (the agent's collect-report: create, then read its own). */
export const HOST_REPORT_ROUTES = [
  { method: 'POST', path: '/reports' },
  { method: 'GET', path: '/reports/*' },
] as const;

/**
 * The diagnostics routes (docs/api.md, "Reports and known issues"), each with exactly its grants:
 * reading routes read the diagnostics table and the hosts table (a host caller's binding); creating a report writes its record and may put objects under
 * `reports/` (the presigned URL carries the function's authority, narrowed to one key, length
 * and type by the signature).
 */
export function diagnosticsRoutes(resources: DiagnosticsApiResources, hostsTable: dynamodb.ITable): DiagnosticsRoute[] {
  const { diagnosticsTable: table, reportsBucket: bucket, operatorPrincipalArnPrefix } = resources;
  const environment = { DIAGNOSTICS_TABLE: table.tableName, REPORTS_BUCKET: bucket.bucketName, OPERATOR_PRINCIPAL_ARN_PREFIX: operatorPrincipalArnPrefix };
  // Every report route resolves a host caller's host id (the principal's binding) in the hosts table.
  const read = (fn: BlockplaneFunction) => {
    table.grantReadData(fn);
    hostsTable.grantReadData(fn);
    acknowledgeGrantWildcards(fn, { arns: [table.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
  };
  const readWrite = (fn: BlockplaneFunction) => {
    table.grantReadWriteData(fn);
    read(fn);
  };
  return [
    {
      id: 'CreateReport', method: 'POST', path: '/reports', entry: 'lambdas/api/create-report.ts', environment,
      description: 'Records a diagnostic report awaiting upload and returns a presigned PUT for it',
      grant: (fn) => {
        readWrite(fn);
        fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('reports/*')] }));
        acknowledgeGrantWildcards(fn, { arns: [bucket.bucketArn], suffix: '/reports/*', reason: REPORT_KEYS_REASON });
      },
    },
    { id: 'ListReports', method: 'GET', path: '/reports', entry: 'lambdas/api/list-reports.ts', environment, description: "Lists the caller's reports", grant: read },
    { id: 'GetReport', method: 'GET', path: '/reports/{reportId}', entry: 'lambdas/api/get-report.ts', environment, description: "Describes one of the caller's reports with its result", grant: read },
    {
      id: 'RecordReportFeedback', method: 'POST', path: '/reports/{reportId}/feedback', entry: 'lambdas/api/record-report-feedback.ts', environment,
      description: 'Records whether a match of a report helped, per rule', grant: readWrite,
    },
    { id: 'ListReviewQueue', method: 'GET', path: '/review-queue', entry: 'lambdas/api/list-report-review-queue.ts', environment, description: 'Operators: reports with errors that matched no rule', grant: read },
    { id: 'ListKnownIssues', method: 'GET', path: '/known-issues', entry: 'lambdas/api/list-known-issues.ts', environment, description: 'Operators: the current known-issue rules', grant: read },
    { id: 'PutKnownIssue', method: 'POST', path: '/known-issues', entry: 'lambdas/api/put-known-issue.ts', environment, description: 'Operators: stores a known-issue rule as its next version', grant: readWrite },
    {
      id: 'GetKnownIssueOccurrences', method: 'GET', path: '/known-issues/{issueId}/occurrences', entry: 'lambdas/api/get-known-issue-occurrences.ts', environment,
      description: 'Operators: how many reports and hosts matched a known issue in a window', grant: read,
    },
  ];
}
