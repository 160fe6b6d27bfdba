import { requireOperator } from '../../core/diagnostics/operator';
import { IssueIdSchema, OccurrencesQuerySchema } from '../../core/diagnostics/report-requests';
import { knownIssueOccurrences } from '../../core/diagnostics/use-cases/known-issues';
import { hostPrincipalArnPrefix, now } from '../shared/composition';
import { callerOf, parsePathParameter, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { knownIssueStore, operatorPrincipalArnPrefix } from '../shared/report-composition';

const issues = knownIssueStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  const { windowHours } = parseQuery(event, OccurrencesQuerySchema);
  const issueId = parsePathParameter(event, 'issueId', IssueIdSchema);
  return json(200, await knownIssueOccurrences(issues, issueId, windowHours ?? 24, now()));
});
