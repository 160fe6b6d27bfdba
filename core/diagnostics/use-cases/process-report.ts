import { RuleEvaluator } from '../evaluate-rules';
import { diagnose } from '../diagnose';
import type { KnownIssueStore, ReportRepository, ReportUploads } from '../ports';
import { parseObjectKey } from '../report';
import { REPORT_LIMITS } from '../report-format';
import { ReportRejectedError, unpackReport } from '../unpack-report';

export interface ProcessReportDeps {
  readonly reports: ReportRepository;
  readonly uploads: ReportUploads;
  readonly issues: KnownIssueStore;
  readonly now: () => Date;
  /** The agent version the control plane ships: hosts below it match `agent-version-behind`. */
  readonly fleetAgentVersion: string;
}

export type ProcessOutcome =
  | { readonly outcome: 'diagnosed'; readonly reportId: string; readonly matches: number; readonly needsReview: boolean }
  | { readonly outcome: 'failed'; readonly reportId: string; readonly reason: string }
  | { readonly outcome: 'ignored'; readonly key: string; readonly why: string };

/**
 * One uploaded object: claim its report (`awaiting-upload` → `processing`, so a repeated event
 * does nothing), refuse an object over the upload cap without reading it, unpack it safely, parse,
 * evaluate the current rules (global ones and the owner's private ones), store the result and
 * count an occurrence per matched rule. A refused upload ends `failed` with the reason and
 * changes nothing else (no result, no occurrences, no review entry).
 */
export async function processReport(deps: ProcessReportDeps, key: string): Promise<ProcessOutcome> {
  const parsed = parseObjectKey(key);
  if (!parsed) return { outcome: 'ignored', key, why: 'not a report object key' };
  const report = await deps.reports.get(parsed.reportId);
  if (!report || report.objectKey !== key) return { outcome: 'ignored', key, why: 'no report has this key' };
  if (!(await deps.reports.markProcessing(report.reportId, deps.now()))) {
    return { outcome: 'ignored', key, why: `report ${report.reportId} was already ${report.status}` };
  }

  const fail = async (reason: string): Promise<ProcessOutcome> => {
    await deps.reports.recordFailure(report.reportId, reason, deps.now());
    return { outcome: 'failed', reportId: report.reportId, reason };
  };
  const size = await deps.uploads.sizeOf(key);
  if (size === undefined) return fail('the uploaded object is gone');
  if (size > REPORT_LIMITS.maxUploadBytes) return fail(`upload is ${size} bytes; the limit is ${REPORT_LIMITS.maxUploadBytes} compressed`);

  let unpacked;
  try {
    unpacked = unpackReport(await deps.uploads.read(key));
  } catch (error) {
    if (error instanceof ReportRejectedError) return fail(error.reason);
    throw error;
  }
  const rules = await deps.issues.listCurrent(report.owner);
  const result = diagnose(unpacked, new RuleEvaluator(rules), { 'fleet.agentVersion': deps.fleetAgentVersion });
  const at = deps.now();
  await deps.reports.recordDiagnosis(report.reportId, result, at);
  if (result.matches.length > 0) {
    await deps.issues.recordOccurrences(
      result.matches.map((match) => match.issueId),
      { reportId: report.reportId, owner: report.owner, at: at.toISOString(), ...(unpacked.manifest.hostId ? { hostId: unpacked.manifest.hostId } : {}) },
      report.retainUntil,
    );
  }
  return { outcome: 'diagnosed', reportId: report.reportId, matches: result.matches.length, needsReview: result.needsReview };
}
