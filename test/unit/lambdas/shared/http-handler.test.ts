import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotFoundError } from '../../../../core/errors';
import { httpHandler } from '../../../../lambdas/shared/http-handler';
import { json } from '../../../../lambdas/shared/http-response';
import { logger } from '../../../../lambdas/shared/logger';

const event = {
  httpMethod: 'GET',
  resource: '/volumes/{volumeId}',
  requestContext: { requestId: 'req-1' },
} as unknown as APIGatewayProxyEvent;

describe('httpHandler', () => {
  let info: jest.SpyInstance;
  beforeEach(() => {
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('when the handler answers, it passes the answer through and logs its status', async () => {
    // Given
    const handler = httpHandler(async () => json(200, { ok: true }));
    // When
    const response = await handler(event);
    // Then
    expect(response).toEqual(json(200, { ok: true }));
    expect(info).toHaveBeenCalledWith('request handled', expect.objectContaining({ statusCode: 200 }));
  });

  test('when the handler throws a domain error, it answers through the one error mapper', async () => {
    // Given
    const handler = httpHandler(async () => {
      throw new NotFoundError('volume vol-1 does not exist', { volumeId: 'vol-1' });
    });
    // When
    const response = await handler(event);
    // Then
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ code: 'NotFound', message: 'volume vol-1 does not exist', details: { volumeId: 'vol-1' } });
    expect(info).toHaveBeenCalledWith('request handled', expect.objectContaining({ statusCode: 404 }));
  });

  test('when the handler throws something unexpected, it answers a bare 500', async () => {
    // Given
    const handler = httpHandler(async () => {
      throw new Error('table blockplane-volumes-XYZ not found');
    });
    // When
    const response = await handler(event);
    // Then
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('blockplane-volumes');
  });
});
