import type { APIGatewayProxyResult } from 'aws-lambda';
import { ZodError } from 'zod';
import {
  BlockplaneError,
  ForbiddenError,
  IdempotentParameterMismatchError,
  InsufficientCapacityError,
  InvalidRequestError,
  InvalidStateError,
  LimitExceededError,
  NotFoundError,
  RequestTooLargeError,
  TooManyRequestsError,
  UnauthenticatedError,
  VersionConflictError,
} from '../../core/errors';
import { logger } from './logger';

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function statusOf(error: BlockplaneError): number {
  if (error instanceof InvalidRequestError) return 400;
  if (error instanceof UnauthenticatedError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof RequestTooLargeError) return 413;
  if (error instanceof IdempotentParameterMismatchError || error instanceof InvalidStateError || error instanceof VersionConflictError) return 409;
  if (error instanceof InsufficientCapacityError || error instanceof LimitExceededError) return 409;
  return 400;
}

/** The one mapping from errors to HTTP: client errors say what was wrong; anything else is a bare 500. */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof ZodError) {
    const details = error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
      ...('input' in issue && issue.input !== undefined && typeof issue.input !== 'object' ? { received: issue.input } : {}),
    }));
    const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
    return json(400, { code: 'ValidationError', message: `invalid request: ${summary}`, details });
  }
  if (error instanceof TooManyRequestsError) {
    const response = json(429, { code: error.code, message: error.message, details: error.details ?? {} });
    return { ...response, headers: { ...response.headers, 'retry-after': String(error.retryAfterSeconds) } };
  }
  if (error instanceof BlockplaneError) {
    return json(statusOf(error), { code: error.code, message: error.message, details: error.details ?? {} });
  }
  logger.error('unexpected failure', { error: error as Error });
  return json(500, { code: 'InternalError', message: 'internal error', details: {} });
}
