import { TooManyRequestsError } from '../errors';
import type { TenantRequestQuota } from '../ports';

/**
 * Admits a customer request if its tenant is within its per-second limit, else refuses it with
 * TooManyRequestsError (429, Retry-After: the rest of the second). The limit is per tenant, so a
 * tenant flooding the API slows only itself; host routes never count against it.
 */
export async function admitTenantRequest(quota: TenantRequestQuota, tenantId: string, now: Date): Promise<void> {
  if (await quota.take(tenantId, now)) return;
  throw new TooManyRequestsError(`tenant ${tenantId} is over its request rate; retry after a second`, 1, { tenantId });
}
