import { z } from 'zod';
import {
  ForbiddenError,
  IdempotentParameterMismatchError,
  InsufficientCapacityError,
  InvalidRequestError,
  InvalidStateError,
  NotFoundError,
  RequestTooLargeError,
  UnauthenticatedError,
  VersionConflictError,
  type BlockplaneError,
} from '../../../../core/errors';
import { errorResponse, json } from '../../../../lambdas/shared/http-response';
import { logger } from '../../../../lambdas/shared/logger';

describe('json', () => {
  test('when given a body, it answers JSON with that status', () => {
    // When
    const result = json(202, { a: 1 });
    // Then
    expect(result).toEqual({ statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  });
});

describe('errorResponse', () => {
  afterEach(() => jest.restoreAllMocks());

  test.each<[BlockplaneError, number]>([
    [new InvalidRequestError('bad'), 400],
    [new UnauthenticatedError('who'), 401],
    [new ForbiddenError('no'), 403],
    [new NotFoundError('gone'), 404],
    [new RequestTooLargeError('big'), 413],
    [new IdempotentParameterMismatchError('token'), 409],
    [new InvalidStateError('state'), 409],
    [new VersionConflictError('race'), 409],
    [new InsufficientCapacityError('full'), 409],
  ])('when the error is %p, it answers %d with its code, message and details', (error, statusCode) => {
    // Given: the error above
    // When
    const response = errorResponse(error);
    // Then
    expect(response.statusCode).toBe(statusCode);
    expect(JSON.parse(response.body)).toEqual({ code: error.code, message: error.message, details: {} });
  });

  test('when a domain error wraps an internal cause, it never shows the cause', () => {
    // Given
    const cause = new Error('ConditionalCheckFailedException on table blockplane-volumes-secret');
    const error = new VersionConflictError('volume vol-1 was changed by another writer', { volumeId: 'vol-1' }, { cause });
    // When
    const response = errorResponse(error);
    // Then
    expect(response.statusCode).toBe(409);
    expect(response.body).not.toContain('ConditionalCheckFailed');
    expect(JSON.parse(response.body).details).toEqual({ volumeId: 'vol-1' });
  });

  test('when validation fails, it answers 400 with a detail per failing path and the primitive value received', () => {
    // Given
    const schema = z.strictObject({ sizeGiB: z.number(), nested: z.strictObject({ port: z.number().int() }) });
    const result = schema.safeParse({ sizeGiB: 'ten', nested: { port: 1.5 } }, { reportInput: true });
    // When
    const response = errorResponse(result.error);
    // Then
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(400);
    expect(body.code).toBe('ValidationError');
    expect(body.details).toEqual([
      { path: 'sizeGiB', message: expect.any(String), received: 'ten' },
      { path: 'nested.port', message: expect.any(String), received: 1.5 },
    ]);
    expect(body.message).toMatch(/^invalid request: sizeGiB: .+; nested\.port: .+$/);
  });

  test('when an unexpected error escapes, it answers a bare 500 and logs it, leaking nothing', () => {
    // Given
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const error = new TypeError("Cannot read properties of undefined (reading 'Item') at /var/task/index.js:42");
    // When
    const response = errorResponse(error);
    // Then
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ code: 'InternalError', message: 'internal error', details: {} });
    expect(response.body).not.toMatch(/Item|index\.js|TypeError/);
    expect(logged).toHaveBeenCalledWith('unexpected failure', { error });
  });

  test.each([['a string', 'secret string'], ['an object', { password: 'hunter2' }], ['undefined', undefined]])(
    'when %s is thrown, it answers a bare 500',
    (_name, thrown) => {
      // Given
      jest.spyOn(logger, 'error').mockImplementation(() => undefined);
      // When
      const response = errorResponse(thrown);
      // Then
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toMatch(/secret|hunter2/);
    },
  );
});
