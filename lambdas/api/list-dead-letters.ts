import { requireOperator } from '../../core/diagnostics/operator';
import { ListDeadLettersQuerySchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore, operatorPrincipalArnPrefix } from '../shared/health-composition';
import { callerOf, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  const { limit } = parseQuery(event, ListDeadLettersQuerySchema);
  return json(200, { deadLetters: await store.deadLetteredNotices(limit) });
});
