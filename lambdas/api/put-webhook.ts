import { randomBytes } from 'node:crypto';
import { PutWebhookRequestSchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

/** Sets the tenant's webhook and answers its new signing key, once (docs/health.md, "Webhooks"). */
export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const { url } = parseBody(event, PutWebhookRequestSchema);
  const secret = randomBytes(32).toString('hex');
  await store.putWebhook(tenantId, { url, secret });
  return json(200, { url, secret });
});
