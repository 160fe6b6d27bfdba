import { requireOperator } from '../../core/diagnostics/operator';
import { NotFoundError } from '../../core/errors';
import { ComponentIdSchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore, operatorPrincipalArnPrefix } from '../shared/health-composition';
import { callerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const componentId = parsePathParameter(event, 'componentId', ComponentIdSchema);
  const component = await store.getComponent(componentId);
  if (!component) throw new NotFoundError(`component ${componentId} is not known`, { componentId });
  const [history, openEvent] = await Promise.all([store.history(componentId, 50), store.openEventOf(componentId)]);
  return json(200, { ...component, history, openEventId: openEvent?.eventId ?? null });
});
