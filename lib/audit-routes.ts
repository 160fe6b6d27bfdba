import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { COMPLIANCE_REPORT_KEYS_REASON, type AuditApiResources } from './audit-stack';
import type { BlockplaneFunction } from './blockplane-function';
import { acknowledgeGrantWildcards } from './nag-acknowledgements';

/** A route as ApiStack builds it (its `Route`), for the audit handlers. */
export interface AuditRoute {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
}

/** The execute-api paths storage hosts may call for auditing: read the spec, post assertions. */
export const HOST_AUDIT_ROUTES = [
  { method: 'GET', path: '/specs/*' },
  { method: 'POST', path: '/assertions' },
] as const;

/**
 * The audit routes (docs/audit.md, "API"), each with exactly its grants: spec reads read the
 * specs table; assertions write the assertions table, read the specs table (current version,
 * waivers, alarms) and claim alarms in it, and put events; reports start the render workflow and
 * presign GETs under `compliance-reports/`.
 */
export function auditRoutes(resources: AuditApiResources, hostsTable: dynamodb.ITable): AuditRoute[] {
  const { specsTable, assertionsTable, reportsBucket, renderReportStateMachine, operatorPrincipalArnPrefix, eventBusArn } = resources;
  const environment = {
    SPECS_TABLE: specsTable.tableName,
    ASSERTIONS_TABLE: assertionsTable.tableName,
    REPORTS_BUCKET: reportsBucket.bucketName,
    RENDER_REPORT_STATE_MACHINE_ARN: renderReportStateMachine.stateMachineArn,
    OPERATOR_PRINCIPAL_ARN_PREFIX: operatorPrincipalArnPrefix,
  };
  const readSpecs = (fn: BlockplaneFunction) => specsTable.grantReadData(fn);
  const writeSpecs = (fn: BlockplaneFunction) => specsTable.grantReadWriteData(fn);
  return [
    { id: 'PublishSpecChange', method: 'POST', path: '/specs/changes', entry: 'lambdas/api/publish-spec-change.ts', environment, description: 'Operators: adds, removes or modifies clauses as the next spec version', grant: writeSpecs },
    { id: 'GetCurrentSpec', method: 'GET', path: '/specs/current', entry: 'lambdas/api/get-current-spec.ts', environment, description: 'The current spec version (ETag; 304 on If-None-Match), optionally only some component types', grant: readSpecs },
    { id: 'GetSpecVersion', method: 'GET', path: '/specs/{version}', entry: 'lambdas/api/get-spec-version.ts', environment, description: 'One immutable spec version with its author, time and change log', grant: readSpecs },
    { id: 'GetSpecDiff', method: 'GET', path: '/specs/{version}/diff/{other}', entry: 'lambdas/api/get-spec-diff.ts', environment, description: 'The clauses added, removed and modified between two spec versions', grant: readSpecs },
    {
      id: 'RecordAssertions', method: 'POST', path: '/assertions', entry: 'lambdas/api/record-assertions.ts', environment,
      description: "Storage hosts: stores a batch of assertions about the host and its copies and raises security alarms at once",
      grant: (fn) => {
        writeSpecs(fn);
        assertionsTable.grantReadWriteData(fn);
        hostsTable.grantReadData(fn);
        fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [eventBusArn] }));
      },
    },
    { id: 'PutAlarms', method: 'PUT', path: '/alarms', entry: 'lambdas/api/put-alarms.ts', environment, description: 'Operators: replaces the audit alarm configuration', grant: writeSpecs },
    { id: 'GetAlarms', method: 'GET', path: '/alarms', entry: 'lambdas/api/get-alarms.ts', environment, description: 'Operators: the alarm configuration and the alarms raised in the last day', grant: readSpecs },
    { id: 'GrantWaiver', method: 'POST', path: '/waivers', entry: 'lambdas/api/grant-waiver.ts', environment, description: 'Operators: waives a clause for one component until a time, with a reason', grant: writeSpecs },
    { id: 'ListWaivers', method: 'GET', path: '/waivers', entry: 'lambdas/api/list-waivers.ts', environment, description: 'Operators: every waiver, active or expired', grant: readSpecs },
    {
      id: 'CreateComplianceReport', method: 'POST', path: '/compliance-reports', entry: 'lambdas/api/create-compliance-report.ts', environment,
      description: 'Operators: records a compliance report request and starts its render workflow',
      grant: (fn) => {
        writeSpecs(fn);
        renderReportStateMachine.grantStartExecution(fn);
      },
    },
    {
      id: 'GetComplianceReport', method: 'GET', path: '/compliance-reports/{reportId}', entry: 'lambdas/api/get-compliance-report.ts', environment,
      description: 'Operators: a compliance report status and, once ready, a presigned GET (5 minutes) of its object',
      grant: (fn) => {
        readSpecs(fn);
        fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [reportsBucket.arnForObjects('compliance-reports/*')] }));
        acknowledgeGrantWildcards(fn, { arns: [reportsBucket.bucketArn], suffix: '/compliance-reports/*', reason: COMPLIANCE_REPORT_KEYS_REASON });
      },
    },
  ];
}
