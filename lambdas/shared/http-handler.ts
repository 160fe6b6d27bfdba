import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse } from './http-response';
import { logger } from './logger';

/** The one wrapper every API handler uses: structured logs per request, errors through one mapper. */
export function httpHandler(handle: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: `${event.httpMethod} ${event.resource}` });
    const started = Date.now();
    let response: APIGatewayProxyResult | undefined;
    try {
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
