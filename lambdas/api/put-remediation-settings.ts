import { RemediationSettingsSchema } from '../../core/health/remediation';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const settings = parseBody(event, RemediationSettingsSchema);
  await store.putRemediation(tenantId, settings);
  return json(200, settings);
});
