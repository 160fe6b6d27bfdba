import { TooManyRequestsError } from '../../../../core/errors';
import type { TenantRequestQuota } from '../../../../core/ports';
import { admitTenantRequest } from '../../../../core/use-cases/admit-tenant-request';
import { errorResponse } from '../../../../lambdas/shared/http-response';

/** A fixed window per second in memory, as the DynamoDB adapter counts. */
class InMemoryQuota implements TenantRequestQuota {
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit: number) {}
  async take(tenantId: string, now: Date): Promise<boolean> {
    const key = `${tenantId}#${Math.floor(now.getTime() / 1000)}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= this.limit) return false;
    this.counts.set(key, count + 1);
    return true;
  }
}

describe('admitTenantRequest', () => {
  test('when a tenant is over its limit, it is refused with 429 and Retry-After while another tenant is admitted', async () => {
    // Given
    const quota = new InMemoryQuota(2);
    const now = new Date('2025-03-01T00:00:00.200Z');
    await admitTenantRequest(quota, 'AIDANOISY', now);
    await admitTenantRequest(quota, 'AIDANOISY', now);
    // When
    const refused = await admitTenantRequest(quota, 'AIDANOISY', now).catch((error: unknown) => error);
    // Then
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    const response = errorResponse(refused);
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'retry-after': '1' });
    await expect(admitTenantRequest(quota, 'AIDAQUIET', now)).resolves.toBeUndefined();
    await expect(admitTenantRequest(quota, 'AIDANOISY', new Date('2025-03-01T00:00:01.000Z'))).resolves.toBeUndefined();
  });
});
