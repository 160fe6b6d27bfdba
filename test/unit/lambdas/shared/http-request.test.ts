import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { ForbiddenError, InvalidRequestError, RequestTooLargeError, UnauthenticatedError } from '../../../../core/errors';
import { HostIdSchema } from '../../../../core/host-requests';
import { CreateVolumeRequestSchema, ListVolumesQuerySchema } from '../../../../core/volume-requests';
import { callerOf, customerOf, hostOf, MAX_BODY_BYTES, parseBody, parsePathParameter, parseQuery, refuseBody, refuseQuery } from '../../../../lambdas/shared/http-request';
import { MAX_JSON_DEPTH } from '../../../../lambdas/shared/json-bounds';
import { errorResponse } from '../../../../lambdas/shared/http-response';

const HOST_PREFIX = 'arn:aws:sts::123456789012:assumed-role/blockplane-fleet/';
const HOST = `${HOST_PREFIX}i-0123456789abcdef0`;
const CUSTOMER = 'arn:aws:sts::123456789012:assumed-role/Admin/alice';

function anEvent(overrides: Partial<APIGatewayProxyEvent> = {}, userArn: string | null = CUSTOMER): APIGatewayProxyEvent {
  return {
    body: null,
    isBase64Encoded: false,
    headers: {},
    multiValueHeaders: {},
    httpMethod: 'POST',
    path: '/volumes',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: '/volumes',
    requestContext: { identity: { userArn, user: 'AROAEXAMPLEROLEID0001:alice' }, requestId: 'req-1' } as unknown as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

/** What `act` throws, mapped to the HTTP answer the client would get. */
function answerTo(act: () => unknown) {
  try {
    act();
  } catch (error) {
    const response = errorResponse(error);
    return { error, statusCode: response.statusCode, body: JSON.parse(response.body) as { code: string; message: string; details: unknown } };
  }
  throw new Error('expected the call to throw');
}

const Body = z.strictObject({ name: z.string() });

describe('parseBody', () => {
  test('when the body is valid JSON that fits the schema, it returns the parsed value', () => {
    // Given
    const event = anEvent({ body: JSON.stringify({ sizeGiB: 10, type: 'hdd', location: 'zone-a' }) });
    // When
    const request = parseBody(event, CreateVolumeRequestSchema);
    // Then
    expect(request).toEqual({ sizeGiB: 10, type: 'hdd', location: 'zone-a', iops: 100 });
  });

  test('when the body is base64-encoded, it decodes it first', () => {
    // Given
    const event = anEvent({ body: Buffer.from('{"name":"x"}').toString('base64'), isBase64Encoded: true });
    // When
    const parsed = parseBody(event, Body);
    // Then
    expect(parsed).toEqual({ name: 'x' });
  });

  test('when the body is one byte over the limit, it throws RequestTooLargeError answered with 413', () => {
    // Given
    const padding = MAX_BODY_BYTES + 1 - '{"name":""}'.length;
    const event = anEvent({ body: `{"name":"${'x'.repeat(padding)}"}` });
    // When
    const answer = answerTo(() => parseBody(event, Body));
    // Then
    expect(answer.error).toBeInstanceOf(RequestTooLargeError);
    expect(answer.statusCode).toBe(413);
    expect(answer.body).toMatchObject({ code: 'RequestTooLarge', details: { bytes: MAX_BODY_BYTES + 1, limit: MAX_BODY_BYTES } });
  });

  test('when the body is exactly at the limit, it is parsed', () => {
    // Given
    const padding = MAX_BODY_BYTES - '{"name":""}'.length;
    const event = anEvent({ body: `{"name":"${'x'.repeat(padding)}"}` });
    // When
    const parsed = parseBody(event, Body);
    // Then
    expect(parsed.name).toHaveLength(padding);
  });

  test('when the body has few characters but many bytes, it counts the bytes', () => {
    // Given: 30,000 three-byte characters = 90,000 bytes
    const event = anEvent({ body: `{"name":"${'€'.repeat(30_000)}"}` });
    // When
    const answer = answerTo(() => parseBody(event, Body));
    // Then
    expect(answer.statusCode).toBe(413);
  });

  test('when the body is not JSON, it answers 400 saying so', () => {
    // Given
    const event = anEvent({ body: '{"name": "x",' });
    // When
    const answer = answerTo(() => parseBody(event, Body));
    // Then
    expect(answer.error).toBeInstanceOf(InvalidRequestError);
    expect(answer.statusCode).toBe(400);
    expect(answer.body.code).toBe('ValidationError');
    expect(answer.body.message).toMatch(/^request body is not valid JSON: /);
  });

  test.each([
    ['missing', null],
    ['empty', ''],
    ['only whitespace', ' \n\t '],
  ])('when the body is %s, it answers 400 asking for a JSON object', (_name, body) => {
    // Given
    const event = anEvent({ body });
    // When
    const answer = answerTo(() => parseBody(event, Body));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.message).toBe('request body is empty; a JSON object is required');
  });

  test('when the JSON does not fit the schema, it answers 400 with each failing path in the details', () => {
    // Given
    const event = anEvent({ body: JSON.stringify({ sizeGiB: '10', type: 'nvme', location: 'zone-a', extra: 1 }) });
    // When
    const answer = answerTo(() => parseBody(event, CreateVolumeRequestSchema));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.code).toBe('ValidationError');
    const details = answer.body.details as { path: string; message: string; received?: unknown }[];
    expect(details.map((d) => d.path)).toEqual(expect.arrayContaining(['sizeGiB', 'type', '']));
    expect(details.find((d) => d.path === 'sizeGiB')).toMatchObject({ received: '10' });
    expect(answer.body.message).toContain('sizeGiB: ');
    expect(answer.body.message).toContain('Unrecognized key: "extra"');
  });

  test('when the JSON is null, it answers 400 saying an object was expected', () => {
    // Given
    const event = anEvent({ body: 'null' });
    // When
    const answer = answerTo(() => parseBody(event, Body));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.message).toContain('expected object');
  });
});

describe('parseBody bounds (issue 7: an over-large or deeply nested host result answered 500)', () => {
  const Anything = z.strictObject({ result: z.record(z.string(), z.unknown()) });
  const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });

  test('when the body nests exactly as deep as the limit, it is parsed', () => {
    // Given: the body object itself is level 1
    const event = anEvent({ body: JSON.stringify({ result: nested(MAX_JSON_DEPTH - 1) }) });
    // When / Then
    expect(parseBody(event, Anything)).toBeDefined();
  });

  test.each([
    ['nests one level deeper than the limit', JSON.stringify({ result: nested(MAX_JSON_DEPTH) }), 'more than 16 deep'],
    ['nests arrays 1,000 deep', `{"result":{"a":${'['.repeat(1000)}${']'.repeat(1000)}}}`, 'more than 16 deep'],
    ['holds a number DynamoDB cannot store', '{"result":{"bytes":1e200}}', 'result.bytes is a number'],
    ['holds a number that overflows to Infinity', '{"result":{"bytes":1e400}}', 'result.bytes is a number'],
    ['holds a number too small to store', '{"result":{"x":[1e-200]}}', 'result.x.0 is a number'],
    ['has an empty property name', '{"result":{"":1}}', 'empty property name'],
  ])('when the body %s, it answers 400 before the schema runs', (_what, body, message) => {
    // Given
    const event = anEvent({ body });
    // When
    const answer = answerTo(() => parseBody(event, Anything));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.code).toBe('ValidationError');
    expect(answer.body.message).toContain(message);
  });
});

describe('refuseBody and refuseQuery (routes that take none)', () => {
  test('when a request has neither, both accept it', () => {
    // Given
    const event = anEvent({ body: null, queryStringParameters: null });
    // When / Then
    expect(() => refuseBody(event)).not.toThrow();
    expect(() => refuseQuery(event)).not.toThrow();
  });

  test.each([['{}'], ['null'], [' '], ['x']])('when a route that takes no body gets %j, it answers 400', (body) => {
    // Given
    const event = anEvent({ body });
    // When
    const answer = answerTo(() => refuseBody(event));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.message).toContain('takes no request body');
  });

  test('when a route that takes no query gets one, it answers 400 naming the parameters', () => {
    // Given
    const event = anEvent({ queryStringParameters: { limit: '1' }, multiValueQueryStringParameters: { limit: ['1'] } });
    // When
    const answer = answerTo(() => refuseQuery(event));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.details).toEqual({ parameters: ['limit'] });
  });
});

describe('parseQuery and parsePathParameter', () => {
  test('when there is no query string, it applies the defaults', () => {
    // Given
    const event = anEvent({ queryStringParameters: null });
    // When
    const query = parseQuery(event, ListVolumesQuerySchema);
    // Then
    expect(query).toEqual({ limit: 50 });
  });

  test('when a query parameter is out of range, it answers 400 naming it', () => {
    // Given
    const event = anEvent({ queryStringParameters: { limit: '500' } });
    // When
    const answer = answerTo(() => parseQuery(event, ListVolumesQuerySchema));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.message).toContain('limit');
  });

  test('when a path parameter is valid, it returns it', () => {
    // When
    const result = parsePathParameter(anEvent({ pathParameters: { hostId: 'host-a' } }), 'hostId', HostIdSchema);
    // Then
    expect(result).toBe('host-a');
  });

  test.each([
    ['malformed', { hostId: 'Bad_Host' }],
    ['missing', null],
  ])('when a path parameter is %s, it answers 400 naming the parameter', (_name, pathParameters) => {
    // Given
    const event = anEvent({ pathParameters });
    // When
    const answer = answerTo(() => parsePathParameter(event, 'hostId', HostIdSchema));
    // Then
    expect(answer.statusCode).toBe(400);
    expect(answer.body.message).toMatch(/^path parameter hostId is not valid: /);
  });
});

describe('callerOf, customerOf and hostOf', () => {
  test.each([
    ['no identity at all', anEvent({}, null)],
    ['an empty principal', anEvent({}, '')],
    ['no request context', { ...anEvent(), requestContext: undefined } as unknown as APIGatewayProxyEvent],
  ])('when the request carries %s, it answers 401', (_name, event) => {
    // Given: the event above
    // When
    const answer = answerTo(() => callerOf(event, HOST_PREFIX));
    // Then
    expect(answer.error).toBeInstanceOf(UnauthenticatedError);
    expect(answer.statusCode).toBe(401);
    expect(answer.body.code).toBe('Unauthenticated');
  });

  test("when a customer calls, its tenant is the role id from the request's principal id, not the role name", () => {
    // Given
    const event = anEvent({}, CUSTOMER);
    // When
    const caller = customerOf(event, HOST_PREFIX);
    // Then
    expect(caller).toEqual({ kind: 'customer', principalArn: CUSTOMER, tenantId: 'AROAEXAMPLEROLEID0001' });
  });

  test('when a host calls a customer route, it answers 403', () => {
    // Given
    const event = anEvent({}, HOST);
    // When
    const answer = answerTo(() => customerOf(event, HOST_PREFIX));
    // Then
    expect(answer.error).toBeInstanceOf(ForbiddenError);
    expect(answer.statusCode).toBe(403);
  });

  test('when a customer calls a host route, it answers 403', () => {
    // Given
    const event = anEvent({}, CUSTOMER);
    // When
    const answer = answerTo(() => hostOf(event, HOST_PREFIX));
    // Then
    expect(answer.statusCode).toBe(403);
    expect(answer.body.message).toBe('only storage hosts may call host routes');
  });

  test('when a host calls a host route, it gives its principal', () => {
    // When
    const result = hostOf(anEvent({}, HOST), HOST_PREFIX);
    // Then
    expect(result).toEqual({ kind: 'host', principalArn: HOST });
  });
});
