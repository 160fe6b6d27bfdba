import { eventForTenant } from '../../core/health/health-event';
import { ListEventsQuerySchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  const { status, limit } = parseQuery(event, ListEventsQuerySchema);
  const [events, notices] = await Promise.all([store.eventsOfTenant(tenantId, limit), store.noticesOfTenant(tenantId, 500)]);
  return json(200, {
    events: events.filter((e) => status === undefined || e.statusCode === status).map((e) => eventForTenant(e, tenantId)),
    notices: notices.map(({ tenantId: _tenant, ...notice }) => notice),
  });
});
