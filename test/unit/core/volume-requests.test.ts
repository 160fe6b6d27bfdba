import { ZodError } from 'zod';
import { newVolumeId } from '../../../core/ids';
import { CreateVolumeRequestSchema, ListVolumesQuerySchema, MAX_SIZE_GIB, VolumeIdSchema } from '../../../core/volume-requests';
import { errorResponse } from '../../../lambdas/shared/http-response';

const VALID = { sizeGiB: 100, type: 'ssd', location: 'us-east-1a', clientToken: 'tok-1' } as const;

/** What a client is told about an input the schema refuses (through the one error mapper). */
function rejection(schema: { parse(input: unknown, params?: { reportInput?: boolean }): unknown }, input: unknown) {
  try {
    schema.parse(input, { reportInput: true });
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const response = errorResponse(error);
    return { statusCode: response.statusCode, message: (JSON.parse(response.body) as { message: string }).message };
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('CreateVolumeRequestSchema', () => {
  const malformed: readonly [string, unknown, string][] = [
    ['the body is null', null, 'expected object'],
    ['the body is an array', [VALID], 'expected object'],
    ['the body is a string', JSON.stringify(VALID), 'expected object'],
    ['the body is a number', 42, 'expected object'],
    ['the body is empty', {}, 'sizeGiB'],
    ['sizeGiB is missing', { type: 'ssd', location: 'zone-a' }, 'sizeGiB'],
    ['sizeGiB is 0', { ...VALID, sizeGiB: 0 }, 'sizeGiB'],
    ['sizeGiB is negative', { ...VALID, sizeGiB: -1 }, 'sizeGiB'],
    ['sizeGiB is 16385', { ...VALID, sizeGiB: 16385 }, 'sizeGiB'],
    ['sizeGiB is 1.5', { ...VALID, sizeGiB: 1.5 }, 'sizeGiB'],
    ['sizeGiB is the string "10"', { ...VALID, sizeGiB: '10' }, 'sizeGiB'],
    ['sizeGiB is null', { ...VALID, sizeGiB: null }, 'sizeGiB'],
    ['sizeGiB is a boolean', { ...VALID, sizeGiB: true }, 'sizeGiB'],
    ['type is missing', { sizeGiB: 10, location: 'zone-a' }, 'type'],
    ['type is unknown', { ...VALID, type: 'nvme' }, 'type'],
    ['type is upper case', { ...VALID, type: 'SSD' }, 'type'],
    ['type is a number', { ...VALID, type: 1 }, 'type'],
    ['iops is a string', { ...VALID, iops: '3000' }, 'iops'],
    ['iops is 0', { ...VALID, iops: 0 }, 'iops'],
    ['iops is negative', { ...VALID, iops: -5 }, 'iops'],
    ['iops is fractional', { ...VALID, iops: 3000.5 }, 'iops'],
    ['ssd iops are below 3000', { ...VALID, iops: 2999 }, 'iops'],
    ['ssd iops are above 16000', { ...VALID, sizeGiB: 1000, iops: 16001 }, 'iops'],
    ['hdd iops are below 100', { ...VALID, type: 'hdd', iops: 99 }, 'iops'],
    ['hdd iops are above 500', { ...VALID, type: 'hdd', iops: 501 }, 'iops'],
    ['hdd asks for the ssd default of 3000 iops', { ...VALID, type: 'hdd', iops: 3000 }, 'iops'],
    ['ssd iops exceed 500 per GiB (6 GiB, 3001)', { ...VALID, sizeGiB: 6, iops: 3001 }, 'iops'],
    ['ssd iops exceed 500 per GiB (10 GiB, 5001)', { ...VALID, sizeGiB: 10, iops: 5001 }, 'iops'],
    ['location is missing', { sizeGiB: 10, type: 'ssd' }, 'location'],
    ['location is empty', { ...VALID, location: '' }, 'location'],
    ['location is upper case', { ...VALID, location: 'US-EAST-1A' }, 'location'],
    ['location starts with a dash', { ...VALID, location: '-zone' }, 'location'],
    ['location is 65 characters', { ...VALID, location: 'a'.repeat(65) }, 'location'],
    ['location has a space', { ...VALID, location: 'zone a' }, 'location'],
    ['location is a number', { ...VALID, location: 12 }, 'location'],
    ['clientToken is empty', { ...VALID, clientToken: '' }, 'clientToken'],
    ['clientToken is 65 characters', { ...VALID, clientToken: 't'.repeat(65) }, 'clientToken'],
    ['clientToken has a slash', { ...VALID, clientToken: 'tok/1' }, 'clientToken'],
    ['clientToken is a number', { ...VALID, clientToken: 123 }, 'clientToken'],
    ['an unknown field is present', { ...VALID, name: 'data' }, 'name'],
    ['a field is spelled in another case', { ...VALID, SizeGiB: 10 }, 'SizeGiB'],
    ['the body tries to set the tenant', { ...VALID, tenantId: 'arn:aws:iam::1:root' }, 'tenantId'],
    ['the body carries __proto__', JSON.parse('{"sizeGiB":1,"type":"ssd","location":"a","__proto__":{"x":1}}'), '__proto__'],
  ];

  test.each(malformed.map(([name, input, field]) => ({ name, input, field })))(
    'when $name, it rejects the request with a 400 whose message names $field',
    ({ input, field }) => {
      // Given: the input above
      // When
      const { statusCode, message } = rejection(CreateVolumeRequestSchema, input);
      // Then
      expect(statusCode).toBe(400);
      expect(message).toContain(field);
    },
  );

  test('when the ssd iops are out of range, it says the range and the value received', () => {
    // Given
    const input = { ...VALID, sizeGiB: 1000, iops: 16001 };
    // When
    const { message } = rejection(CreateVolumeRequestSchema, input);
    // Then
    expect(message).toContain('iops: iops for ssd must be between 3000 and 16000, got 16001');
  });

  test('when ssd iops exceed 500 per GiB, it says the limit for that size', () => {
    // Given
    const input = { ...VALID, sizeGiB: 6, iops: 3001 };
    // When
    const { message } = rejection(CreateVolumeRequestSchema, input);
    // Then
    expect(message).toContain('at most 500 per GiB (3000 for 6 GiB), got 3001');
  });

  test('when iops are omitted for ssd, it fills in 3000', () => {
    // Given
    const { clientToken: _token, ...input } = VALID;
    // When
    const request = CreateVolumeRequestSchema.parse(input);
    // Then
    expect(request).toEqual({ sizeGiB: 100, type: 'ssd', location: 'us-east-1a', iops: 3000 });
    expect('clientToken' in request).toBe(false);
  });

  test('when iops are omitted for hdd, it fills in 100', () => {
    // Given
    const input = { ...VALID, type: 'hdd' };
    // When
    const request = CreateVolumeRequestSchema.parse(input);
    // Then
    expect(request.iops).toBe(100);
  });

  test('when iops are given, it keeps them', () => {
    // Given
    const input = { ...VALID, iops: 4000 };
    // When
    const request = CreateVolumeRequestSchema.parse(input);
    // Then
    expect(request.iops).toBe(4000);
  });

  const boundaries: readonly [string, Record<string, unknown>][] = [
    ['sizeGiB is 1 (ssd, default iops)', { ...VALID, sizeGiB: 1 }],
    ['sizeGiB is 1 (hdd)', { ...VALID, type: 'hdd', sizeGiB: 1 }],
    [`sizeGiB is ${MAX_SIZE_GIB}`, { ...VALID, sizeGiB: MAX_SIZE_GIB }],
    ['ssd iops are 3000 on a 1 GiB volume', { ...VALID, sizeGiB: 1, iops: 3000 }],
    ['ssd iops are exactly 500 per GiB', { ...VALID, sizeGiB: 7, iops: 3500 }],
    ['ssd iops are 16000 on 32 GiB', { ...VALID, sizeGiB: 32, iops: 16000 }],
    ['hdd iops are 100', { ...VALID, type: 'hdd', iops: 100 }],
    ['hdd iops are 500', { ...VALID, type: 'hdd', iops: 500 }],
    ['location is one character', { ...VALID, location: 'a' }],
    ['location is 64 characters', { ...VALID, location: 'a'.repeat(64) }],
    ['clientToken is one character', { ...VALID, clientToken: 'x' }],
    ['clientToken is 64 characters of every allowed kind', { ...VALID, clientToken: 'aZ09_-'.repeat(10) + 'abcd' }],
  ];

  test.each(boundaries)('when %s, it accepts the request', (_name, input) => {
    // Given: the input above
    // When
    const result = CreateVolumeRequestSchema.safeParse(input);
    // Then
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject(input);
  });
});

describe('ListVolumesQuerySchema', () => {
  test('when no parameters are given, it lists 50 volumes of every status', () => {
    // Given
    const query = {};
    // When
    const parsed = ListVolumesQuerySchema.parse(query);
    // Then
    expect(parsed).toEqual({ limit: 50 });
  });

  test.each([
    ['1', 1],
    ['100', 100],
    ['7', 7],
  ])('when limit is the string %s, it reads it as the number %d', (limit, expected) => {
    // Given / When
    const parsed = ListVolumesQuerySchema.parse({ limit });
    // Then
    expect(parsed.limit).toBe(expected);
  });

  test('when every filter is valid, it keeps them all', () => {
    // Given
    const query = { limit: '10', nextToken: 'abc', status: 'in-use', location: 'zone-a', type: 'hdd' };
    // When
    const parsed = ListVolumesQuerySchema.parse(query);
    // Then
    expect(parsed).toEqual({ limit: 10, nextToken: 'abc', status: 'in-use', location: 'zone-a', type: 'hdd' });
  });

  const badQueries: readonly [string, Record<string, string>, string][] = [
    ['limit is 0', { limit: '0' }, 'limit'],
    ['limit is 101', { limit: '101' }, 'limit'],
    ['limit is fractional', { limit: '2.5' }, 'limit'],
    ['limit is not a number', { limit: 'ten' }, 'limit'],
    ['status is unknown', { status: 'gone' }, 'status'],
    ['type is unknown', { type: 'nvme' }, 'type'],
    ['location is upper case', { location: 'ZONE' }, 'location'],
    ['nextToken is longer than 2048', { nextToken: 'x'.repeat(2049) }, 'nextToken'],
    ['an unknown parameter is present', { owner: 'me' }, 'owner'],
  ];

  test.each(badQueries.map(([name, query, field]) => ({ name, query, field })))(
    'when $name, it rejects the query with a message naming $field',
    ({ query, field }) => {
      // Given: the query above
      // When
      const { statusCode, message } = rejection(ListVolumesQuerySchema, query);
      // Then
      expect(statusCode).toBe(400);
      expect(message).toContain(field);
    },
  );
});

describe('VolumeIdSchema', () => {
  test('when given a freshly generated id, it accepts it', () => {
    // Given
    const volumeId = newVolumeId();
    // When
    const result = VolumeIdSchema.safeParse(volumeId);
    // Then
    expect(result.success).toBe(true);
  });

  test.each(['vol-123', 'vol-0123456789ABCDEF0', 'volume-0123456789abcdef0', '', 'vol-0123456789abcdef01'])(
    'when given %p, it rejects it with a hint of the format',
    (volumeId) => {
      // Given / When
      const result = VolumeIdSchema.safeParse(volumeId);
      // Then
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('vol-0123456789abcdef0');
    },
  );
});
