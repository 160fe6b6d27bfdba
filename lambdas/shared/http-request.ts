import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { ForbiddenError, InvalidRequestError, RequestTooLargeError, UnauthenticatedError } from '../../core/errors';
import { classifyCaller, type Caller } from '../../core/tenant';
import { jsonBoundsProblem } from './json-bounds';

/** No valid request comes close to this; larger bodies are refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

function rawBodyOf(event: APIGatewayProxyEvent): string {
  return event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
}

/** Parses and validates the JSON body; anything else is a 4xx that says what is wrong. */
export function parseBody<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  const raw = rawBodyOf(event);
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new RequestTooLargeError(`request body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`, { bytes, limit: MAX_BODY_BYTES });
  }
  if (raw.trim() === '') throw new InvalidRequestError('request body is empty; a JSON object is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new InvalidRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
  const problem = jsonBoundsProblem(parsed);
  if (problem) throw new InvalidRequestError(`request body is out of bounds: ${problem}`);
  return schema.parse(parsed, { reportInput: true });
}

/** For a route that takes no body: any body, even `{}`, is refused. */
export function refuseBody(event: APIGatewayProxyEvent): void {
  const raw = rawBodyOf(event);
  if (raw !== '') {
    throw new InvalidRequestError(`this route takes no request body; received ${Buffer.byteLength(raw, 'utf8')} bytes`);
  }
}

/** For a route that takes no query string: any parameter is refused. */
export function refuseQuery(event: APIGatewayProxyEvent): void {
  const names = Object.keys({ ...event.queryStringParameters, ...event.multiValueQueryStringParameters });
  if (names.length > 0) {
    throw new InvalidRequestError(`this route takes no query parameters; received ${names.join(', ')}`, { parameters: names });
  }
}

export function parseQuery<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.infer<S> {
  return schema.parse(event.queryStringParameters ?? {}, { reportInput: true });
}

export function parsePathParameter<S extends z.ZodType>(event: APIGatewayProxyEvent, name: string, schema: S): z.infer<S> {
  const value = event.pathParameters?.[name];
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidRequestError(`path parameter ${name} is not valid: ${result.error.issues[0]?.message ?? 'invalid'}`, { [name]: value });
  }
  return result.data;
}

/**
 * The IAM principal API Gateway authenticated, classified as host or customer: `identity.userArn`
 * names it, `identity.user` is its unique id (`AIDA…` for a user, `AROA…:session` for a role).
 */
export function callerOf(event: APIGatewayProxyEvent, hostPrincipalArnPrefix: string): Caller {
  const identity = event.requestContext?.identity;
  const principalArn = identity?.userArn;
  if (!principalArn) throw new UnauthenticatedError('request is not signed by a known IAM principal');
  return classifyCaller(principalArn, identity.user ?? undefined, hostPrincipalArnPrefix);
}

export function customerOf(event: APIGatewayProxyEvent, hostPrincipalArnPrefix: string): Extract<Caller, { kind: 'customer' }> {
  const caller = callerOf(event, hostPrincipalArnPrefix);
  if (caller.kind !== 'customer') throw new ForbiddenError('storage hosts may not call customer routes');
  return caller;
}

export function hostOf(event: APIGatewayProxyEvent, hostPrincipalArnPrefix: string): Extract<Caller, { kind: 'host' }> {
  const caller = callerOf(event, hostPrincipalArnPrefix);
  if (caller.kind !== 'host') throw new ForbiddenError('only storage hosts may call host routes');
  return caller;
}
