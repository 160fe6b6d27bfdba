import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { TooManyRequestsError } from '../../core/errors';
import { admitTenantRequest } from '../../core/use-cases/admit-tenant-request';
import { hostPrincipalArnPrefix, now, tenantRequestQuota } from './composition';
import { callerOf } from './http-request';
import { errorResponse } from './http-response';
import { logger } from './logger';

/**
 * The one wrapper every API handler uses: structured logs per request, the per-tenant request
 * limit on customer routes (the functions configured with a quota table), errors through one mapper.
 */
export function httpHandler(handle: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  const quota = tenantRequestQuota();
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: `${event.httpMethod} ${event.resource}` });
    const started = Date.now();
    let response: APIGatewayProxyResult | undefined;
    try {
      if (quota) {
        const caller = callerOf(event, hostPrincipalArnPrefix());
        if (caller.kind === 'customer') await admitTenantRequest(quota, caller.tenantId, now()).catch(failOpen);
      }
      response = await handle(event);
      return response;
    } catch (error) {
      response = errorResponse(error);
      return response;
    } finally {
      logger.info('request handled', { statusCode: response?.statusCode, durationMs: Date.now() - started });
      logger.resetKeys();
    }
  };
}

/** A quota store that cannot be reached admits the request: the limit protects the API, it must not take it down. */
function failOpen(error: unknown): void {
  if (error instanceof TooManyRequestsError) throw error;
  logger.warn('tenant request quota unavailable; request admitted', { error: error as Error });
}
