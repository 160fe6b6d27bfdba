import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../errors';
import type { Assertion } from '../assertion';
import { evaluate } from '../evaluation';
import type { AssertionStore, ComplianceReportRecord, ComplianceReportRepository, ReportObjects, ReportWorkflows, SpecStore, WaiverStore } from '../ports';
import { buildReport } from '../report-content';
import { renderReport } from '../report-render';
import type { ComplianceReportRequest } from '../report-request';
import { COMPONENT_TYPES } from '../spec';

/** Presigned report downloads live 5 minutes (the standard allows 15). */
export const REPORT_URL_SECONDS = 300;

export async function requestComplianceReport(
  deps: { reports: ComplianceReportRepository; workflows: ReportWorkflows },
  request: ComplianceReportRequest,
  requestedBy: string,
  now: Date,
): Promise<ComplianceReportRecord> {
  const record: ComplianceReportRecord = { reportId: `cr-${randomUUID()}`, request, status: 'rendering', requestedBy, createdAt: now.toISOString() };
  await deps.reports.create(record);
  await deps.workflows.start(record.reportId);
  return record;
}

/** The workflow's task: evaluate as of the window's end with the assertions inside the window, render, store. */
export async function renderComplianceReport(
  deps: { specs: SpecStore; assertions: AssertionStore; waivers: WaiverStore; reports: ComplianceReportRepository; objects: ReportObjects; now: () => Date },
  reportId: string,
): Promise<{ objectKey: string }> {
  const record = await deps.reports.get(reportId);
  if (!record) throw new NotFoundError(`compliance report ${reportId} does not exist`);
  const { request } = record;
  const spec = await deps.specs.current();
  if (!spec) throw new NotFoundError('no spec version is published yet');
  const now = deps.now();
  const to = new Date(Math.min(Date.parse(request.to), now.getTime()));
  const from = Date.parse(request.from);
  const latest: Assertion[] = [];
  for (const assertion of await deps.assertions.latest(COMPONENT_TYPES)) {
    const inWindow = Date.parse(assertion.at) <= to.getTime() ? assertion : await deps.assertions.latestAtOrBefore(assertion.componentId, assertion.clauseId, to);
    // An assertion from before the window is no evidence within it: the pair shows SILENT.
    if (inWindow && Date.parse(inWindow.at) >= from) latest.push(inWindow);
  }
  const inventory = (await deps.assertions.latest(COMPONENT_TYPES)).map(({ componentId, componentType }) => ({ componentId, componentType }));
  const statuses = evaluate({ spec, latest, inventory, waivers: await deps.waivers.list(), asOf: to });
  const report = buildReport({ reportId, spec, statuses, scope: request.scope, from: request.from, to: to.toISOString(), generatedAt: now.toISOString() });
  const rendered = renderReport(report, request.format);
  const objectKey = `compliance-reports/${reportId}/report.${request.format}`;
  await deps.objects.put(objectKey, rendered.body, rendered.contentType);
  await deps.reports.markReady(reportId, objectKey);
  return { objectKey };
}

/** `GET /compliance-reports/{id}`: the record, and once ready a presigned GET of its one object. */
export async function describeComplianceReport(deps: { reports: ComplianceReportRepository; objects: ReportObjects; now: () => Date }, reportId: string) {
  const record = await deps.reports.get(reportId);
  if (!record) throw new NotFoundError(`compliance report ${reportId} does not exist`, { reportId });
  if (record.status !== 'ready' || !record.objectKey) return record;
  const url = await deps.objects.presignGet(record.objectKey, REPORT_URL_SECONDS);
  return { ...record, url, urlExpiresAt: new Date(deps.now().getTime() + REPORT_URL_SECONDS * 1000).toISOString() };
}
