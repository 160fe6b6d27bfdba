import { AlarmConfigSchema } from '../core/audit/alarms';
import { AssertionBatchSchema } from '../core/audit/assertion';
import { ComplianceReportIdSchema, CurrentSpecQuerySchema, SpecChangesRequestSchema, SpecVersionParameterSchema } from '../core/audit/audit-requests';
import { ComplianceReportRequestSchema } from '../core/audit/report-request';
import { WaiverRequestSchema } from '../core/audit/waiver';
import { AlarmsViewSchema, AssertionReceiptSchema, ComplianceReportViewSchema, SpecDiffSchema, SpecVersionSchema, WaiverListSchema, WaiverSchema } from './audit-responses';
import type { ApiRoute } from './routes';

/** The audit routes (docs/audit.md, "API"). */
export const AUDIT_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'PublishSpecChange', method: 'post', path: '/specs/changes', caller: 'operator',
    summary: 'Operators: applies add/remove/modify clause changes to the current spec as the next version (author, time, change log)',
    body: SpecChangesRequestSchema,
    success: { status: 201, description: 'The new version', schema: SpecVersionSchema },
    errors: [409, 413],
  },
  {
    operationId: 'GetCurrentSpec', method: 'get', path: '/specs/current', caller: 'host-or-operator',
    summary: 'The current spec version, only the clauses of componentTypes if given; ETag per version, 304 when If-None-Match matches',
    query: CurrentSpecQuerySchema,
    success: { status: 200, description: 'The current version', schema: SpecVersionSchema },
    errors: [404],
  },
  {
    operationId: 'GetSpecVersion', method: 'get', path: '/specs/{version}', caller: 'host-or-operator',
    summary: 'One immutable spec version',
    pathParameters: { version: SpecVersionParameterSchema },
    success: { status: 200, description: 'The version', schema: SpecVersionSchema },
    errors: [404],
  },
  {
    operationId: 'GetSpecDiff', method: 'get', path: '/specs/{version}/diff/{other}', caller: 'host-or-operator',
    summary: 'The clauses added, removed and modified from version to other',
    pathParameters: { version: SpecVersionParameterSchema, other: SpecVersionParameterSchema },
    success: { status: 200, description: 'The difference', schema: SpecDiffSchema },
    errors: [404],
  },
  {
    operationId: 'RecordAssertions', method: 'post', path: '/assertions', caller: 'host',
    summary: 'Storage hosts: a batch of assertions (up to 500) about the host itself and its copies (<hostId>/<copy>)',
    body: AssertionBatchSchema,
    success: { status: 202, description: 'Stored', schema: AssertionReceiptSchema },
    errors: [413],
  },
  {
    operationId: 'PutAlarms', method: 'put', path: '/alarms', caller: 'operator',
    summary: 'Operators: replaces the alarm configuration (security failures, threshold, repeat window)',
    body: AlarmConfigSchema,
    success: { status: 200, description: 'The configuration and recent alarms', schema: AlarmsViewSchema },
    errors: [413],
  },
  {
    operationId: 'GetAlarms', method: 'get', path: '/alarms', caller: 'operator',
    summary: 'Operators: the alarm configuration and the alarms raised in the last day',
    success: { status: 200, description: 'The configuration and recent alarms', schema: AlarmsViewSchema },
    errors: [],
  },
  {
    operationId: 'GrantWaiver', method: 'post', path: '/waivers', caller: 'operator',
    summary: 'Operators: waives a clause of the current spec for one component until a future time; a waived FAIL shows WAIVED until then',
    body: WaiverRequestSchema,
    success: { status: 201, description: 'The waiver', schema: WaiverSchema },
    errors: [413],
  },
  {
    operationId: 'ListWaivers', method: 'get', path: '/waivers', caller: 'operator',
    summary: 'Operators: every waiver',
    success: { status: 200, description: 'The waivers', schema: WaiverListSchema },
    errors: [],
  },
  {
    operationId: 'CreateComplianceReport', method: 'post', path: '/compliance-reports', caller: 'operator',
    summary: 'Operators: starts rendering a compliance report (scope, window, json|csv|html); poll GET /compliance-reports/{reportId}',
    body: ComplianceReportRequestSchema,
    success: { status: 202, description: 'The report, rendering', schema: ComplianceReportViewSchema },
    errors: [413],
  },
  {
    operationId: 'GetComplianceReport', method: 'get', path: '/compliance-reports/{reportId}', caller: 'operator',
    summary: 'Operators: a compliance report; once ready, a presigned GET of its one object, valid 5 minutes',
    pathParameters: { reportId: ComplianceReportIdSchema },
    success: { status: 200, description: 'The report', schema: ComplianceReportViewSchema },
    errors: [404],
  },
];
