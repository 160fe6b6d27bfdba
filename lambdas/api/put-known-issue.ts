import { requireOperator } from '../../core/diagnostics/operator';
import type { ReportOwner } from '../../core/diagnostics/report';
import { putKnownIssue } from '../../core/diagnostics/use-cases/known-issues';
import { PutKnownIssueRequestSchema } from '../../core/diagnostics/report-requests';
import { hostPrincipalArnPrefix, now } from '../shared/composition';
import { callerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { knownIssueStore, operatorPrincipalArnPrefix } from '../shared/report-composition';

const issues = knownIssueStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, PutKnownIssueRequestSchema);
  const owner = request.scope === 'private' ? (request.owner as ReportOwner) : undefined;
  return json(201, await putKnownIssue(issues, request.rule, request.scope, owner, now()));
});
