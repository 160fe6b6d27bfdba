import { requireOperator } from '../../core/diagnostics/operator';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { callerOf, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { knownIssueStore, operatorPrincipalArnPrefix } from '../shared/report-composition';

const issues = knownIssueStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const all = await issues.listCurrent();
  return json(200, { knownIssues: all.map(({ id, title, severity, scope, version, updatedAt }) => ({ id, title, severity, scope, version, updatedAt })) });
});
