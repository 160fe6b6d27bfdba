import { NotFoundError } from '../../errors';
import type { ReportRepository } from '../ports';
import { statusAt, type ReportOwner, type ReportRecord } from '../report';

/** The owner's report; anyone else's, or one past its retention that is gone, is not found. */
export async function ownReport(reports: ReportRepository, owner: ReportOwner, reportId: string): Promise<ReportRecord> {
  const report = await reports.get(reportId);
  if (!report || report.owner !== owner) throw new NotFoundError(`report ${reportId} does not exist`, { reportId });
  return report;
}

/**
 * What `GET /reports/{id}` answers. The default view is the result for the user (matches with
 * causes and ranked solutions, insufficient evidence); the technician view is only the facts the
 * matched rules used plus the manifest's collector statuses. An expired report shows no result.
 */
export function describeReport(report: ReportRecord, now: Date, view: 'user' | 'technician') {
  const status = statusAt(report, now);
  const base = { reportId: report.reportId, status, source: report.source, createdAt: report.createdAt, expiresAt: report.retainUntil };
  if (status === 'failed') return { ...base, reason: report.reason ?? 'processing failed' };
  if (status !== 'diagnosed' || !report.result) return base;
  const result = report.result;
  if (view === 'technician') {
    return {
      ...base,
      manifest: { hostname: result.hostname, collectedAt: result.collectedAt, source: result.source, collectors: result.collectors },
      facts: result.matches.map((match) => ({ issueId: match.issueId, evidence: match.evidence })),
    };
  }
  return {
    ...base,
    result: {
      matches: result.matches.map(({ evidence: _evidence, ...match }) => match),
      insufficientEvidence: result.insufficientEvidence,
      rulesEvaluated: result.rulesEvaluated,
      needsReview: result.needsReview,
    },
  };
}

export async function listReports(reports: ReportRepository, owner: ReportOwner, now: Date) {
  const items = await reports.listByOwner(owner, 100);
  return {
    reports: items.map((item) => ({ reportId: item.reportId, status: statusAt(item, now), createdAt: item.createdAt })),
  };
}
