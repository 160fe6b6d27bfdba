import { FeedbackRequestSchema, ReportIdSchema } from '../../core/diagnostics/report-requests';
import { recordFeedback } from '../../core/diagnostics/use-cases/known-issues';
import { now } from '../shared/composition';
import { parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { knownIssueStore, reportOwnerResolver, reportRepository } from '../shared/report-composition';

const deps = { reports: reportRepository(), issues: knownIssueStore() };
const ownerOf = reportOwnerResolver();

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const reportId = parsePathParameter(event, 'reportId', ReportIdSchema);
  const feedback = parseBody(event, FeedbackRequestSchema);
  const { owner } = await ownerOf(event);
  return json(201, await recordFeedback(deps, owner, reportId, feedback, now()));
});
