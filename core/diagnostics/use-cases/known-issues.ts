import { InvalidRequestError, NotFoundError } from '../../errors';
import type { KnownIssueStore, ReportRepository } from '../ports';
import type { ReportOwner } from '../report';
import { checkDepth, MAX_CHECK_DEPTH, type Rule } from '../rule';
import { ownReport } from './read-reports';

/** Validated on top of the schema: bounded nesting. Scope `global` is for operators; `private` rules match only their owner's reports. */
export async function putKnownIssue(issues: KnownIssueStore, rule: Rule, scope: 'global' | 'private', owner: ReportOwner | undefined, now: Date) {
  if (checkDepth(rule.when) > MAX_CHECK_DEPTH) {
    throw new InvalidRequestError(`rule ${rule.id} nests checks deeper than ${MAX_CHECK_DEPTH}`, { issueId: rule.id });
  }
  return issues.put(rule, scope, scope === 'private' ? owner : undefined, now);
}

/** How many reports (and distinct hosts) matched a rule in the window: the fleet view of a signature. */
export async function knownIssueOccurrences(issues: KnownIssueStore, issueId: string, windowHours: number, now: Date) {
  if (!(await issues.get(issueId))) throw new NotFoundError(`known issue ${issueId} does not exist`, { issueId });
  const since = new Date(now.getTime() - windowHours * 3_600_000);
  const occurrences = await issues.occurrences(issueId, since, 1000);
  const hosts = new Set(occurrences.map((occurrence) => occurrence.hostId).filter((hostId) => hostId !== undefined));
  return {
    issueId,
    windowHours,
    since: since.toISOString(),
    reports: occurrences.length,
    hosts: hosts.size,
    latest: occurrences.slice(0, 20).map(({ reportId, hostId, at }) => ({ reportId, at, ...(hostId ? { hostId } : {}) })),
  };
}

/** Feedback on one match of the caller's own diagnosed report, stored per rule. */
export async function recordFeedback(
  deps: { reports: ReportRepository; issues: KnownIssueStore },
  owner: ReportOwner,
  reportId: string,
  feedback: { issueId: string; helpful: boolean },
  now: Date,
) {
  const report = await ownReport(deps.reports, owner, reportId);
  if (!report.result?.matches.some((match) => match.issueId === feedback.issueId)) {
    throw new InvalidRequestError(`report ${reportId} has no match for ${feedback.issueId}`, { reportId, issueId: feedback.issueId });
  }
  await deps.issues.recordFeedback(feedback.issueId, reportId, owner, feedback.helpful, now);
  return { reportId, issueId: feedback.issueId, helpful: feedback.helpful };
}
