import { requireOperator } from '../../core/diagnostics/operator';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { callerOf, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { operatorPrincipalArnPrefix, reportRepository } from '../shared/report-composition';

const reports = reportRepository();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  return json(200, { reports: await reports.reviewQueue(100) });
});
