import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse } from './http-response';
import { logger } from './logger';

/** The one wrapper every API handler uses: structured logs per request, errors through one mapper. */
export function httpHandler(handle: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: `${event.httpMethod} ${event.resource}` });
    try {
      return await handle(event);
    } catch (error) {
      return errorResponse(error);
    } finally {
      logger.resetKeys();
    }
  };
}
