import { DEFAULT_REMEDIATION } from '../../core/health/remediation';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  return json(200, (await store.getRemediation(tenantId)) ?? DEFAULT_REMEDIATION);
});
