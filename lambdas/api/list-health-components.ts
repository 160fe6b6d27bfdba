import { requireOperator } from '../../core/diagnostics/operator';
import { ListComponentsQuerySchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore, operatorPrincipalArnPrefix } from '../shared/health-composition';
import { callerOf, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  const { kind, level } = parseQuery(event, ListComponentsQuerySchema);
  const components = (await store.listComponents()).filter((c) => (kind === undefined || c.kind === kind) && (level === undefined || c.level === level));
  return json(200, { components });
});
