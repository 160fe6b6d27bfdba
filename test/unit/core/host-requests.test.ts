import { ZodError, type z } from 'zod';
import {
  CommandIdSchema,
  CommandResultRequestSchema,
  HeartbeatRequestSchema,
  HostIdSchema,
  PollCommandsQuerySchema,
  RegisterHostRequestSchema,
} from '../../../core/host-requests';
import { newCommandId } from '../../../core/ids';
import { errorResponse } from '../../../lambdas/shared/http-response';

/** The message a client is told when the schema refuses `input` (through the one error mapper). */
function rejectionMessage(schema: z.ZodType, input: unknown): string {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  expect(result.error).toBeInstanceOf(ZodError);
  const response = errorResponse(result.error);
  expect(response.statusCode).toBe(400);
  return (JSON.parse(response.body) as { message: string }).message;
}

const DISK = { deviceId: 'nvme0n1', type: 'ssd', capacityGiB: 1900, iopsCapacity: 400_000 };
const REGISTRATION = { hostId: 'host-01', location: 'zone-a', address: '10.0.0.5', agentVersion: '1.2.3', disks: [DISK] };

describe('RegisterHostRequestSchema', () => {
  test('when a disk has no health and no copies are reported, it assumes a healthy disk and no copies', () => {
    // Given
    const input = REGISTRATION;
    // When
    const request = RegisterHostRequestSchema.parse(input);
    // Then
    expect(request.disks[0]).toEqual({ ...DISK, health: 'ok' });
    expect(request.copies).toEqual([]);
  });

  test.each(['created', 'serving', 'replica-stale', 'mirroring', 'held', 'daemon-died'])(
    'when a restarted agent reports a copy that is %s, it accepts the registration',
    (state) => {
      // Given
      const copy = { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', role: 'primary', generation: 2, state };
      // When
      const request = RegisterHostRequestSchema.parse({ ...REGISTRATION, copies: [copy] });
      // Then
      expect(request.copies).toEqual([copy]);
    },
  );

  test.each([
    ['an IPv4 address', { address: '192.168.1.20' }],
    ['an IPv6 address', { address: 'fd00::5' }],
    ['a host name', { address: 'storage-1.zone-a.internal' }],
    ['a pre-release agent version', { agentVersion: '1.2.3-rc.1' }],
    ['build metadata on the agent version', { agentVersion: '1.2.3+build.7' }],
    ['16 disks of both types', { disks: Array.from({ length: 16 }, (_, i) => ({ ...DISK, deviceId: `d${i}`, ...(i % 2 ? {} : { type: 'hdd', iopsCapacity: 500 }) })) }],
    ['a failed disk', { disks: [{ ...DISK, health: 'failed' }] }],
  ])('when the registration carries %s, it accepts it', (_name, change) => {
    // Given
    const input = { ...REGISTRATION, ...change };
    // When
    const result = RegisterHostRequestSchema.safeParse(input);
    // Then
    expect(result.success).toBe(true);
  });

  test.each([
    ['hostId has upper case', { hostId: 'Host-01' }, 'hostId'],
    ['hostId is too short', { hostId: 'ab' }, 'hostId'],
    ['hostId has an underscore', { hostId: 'host_01' }, 'hostId'],
    ['location is upper case', { location: 'ZONE-A' }, 'location'],
    ['address is a URL', { address: 'http://10.0.0.5' }, 'address'],
    ['agentVersion is not semantic', { agentVersion: 'v1.2' }, 'agentVersion'],
    ['there are no disks', { disks: [] }, 'disks'],
    ['there are 17 disks', { disks: Array.from({ length: 17 }, (_, i) => ({ ...DISK, deviceId: `d${i}` })) }, 'disks'],
    ['one disk is reported twice', { disks: [DISK, DISK] }, 'each disk (deviceId) may be reported once'],
    ['a disk is larger than 16 TiB', { disks: [{ ...DISK, capacityGiB: 16_385 }] }, 'disks.0.capacityGiB'],
    ['an ssd disk claims more than 1,000,000 IOPS', { disks: [{ ...DISK, iopsCapacity: 1_000_001 }] }, 'disks.0.iopsCapacity'],
    ['an hdd disk claims more than 10,000 IOPS', { disks: [{ ...DISK, type: 'hdd', iopsCapacity: 10_001 }] }, 'disks.0.iopsCapacity'],
    ['a copy has an empty volume id', { copies: [{ volumeId: '', copyId: 'cpy-000000000001', role: 'primary', generation: 1, state: 'held' }] }, 'copies.0.volumeId'],
    ['a disk has an unknown type', { disks: [{ ...DISK, type: 'nvme' }] }, 'disks.0.type'],
    ['a disk has negative capacity', { disks: [{ ...DISK, capacityGiB: -1 }] }, 'disks.0.capacityGiB'],
    ['a disk has fractional IOPS', { disks: [{ ...DISK, iopsCapacity: 1.5 }] }, 'disks.0.iopsCapacity'],
    ['a disk has an unknown health', { disks: [{ ...DISK, health: 'broken' }] }, 'disks.0.health'],
    ['a disk has an unknown field', { disks: [{ ...DISK, serial: 'x' }] }, 'serial'],
    ['an unknown field is present', { principalArn: 'arn:aws:iam::1:root' }, 'principalArn'],
  ])('when %s, it rejects the registration naming the field', (_name, change, field) => {
    // Given
    const input = { ...REGISTRATION, ...change };
    // When
    const message = rejectionMessage(RegisterHostRequestSchema, input);
    // Then
    expect(message).toContain(field);
  });
});

describe('CommandResultRequestSchema bounds', () => {
  const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 1 } : { next: nested(depth - 1) });

  test.each([
    ['nested deeper than 6 levels', nested(6), 'nested deeper'],
    ['a number DynamoDB cannot store', { size: 1e300 }, 'number outside'],
    ['a number too small for DynamoDB', { size: 1e-200 }, 'number outside'],
    ['an empty key', { '': 1 }, 'key that is empty'],
    ['a string longer than 4096 characters', { detail: 'x'.repeat(4097) }, 'longer than 4096'],
    ['more than 256 entries', Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i])), 'more than 256 entries'],
  ])('when a result holds %s, it is refused with 400 saying so', (_what, result, message) => {
    expect(rejectionMessage(CommandResultRequestSchema, { status: 'succeeded', result })).toContain(message);
  });

  test('when a result is what an agent answers for create-copy, it is accepted', () => {
    const result = { copyId: 'cpy-000000000001', nbd: { address: '10.77.0.11', port: 10809, exportName: 'vol-00000000000000001' } };
    expect(CommandResultRequestSchema.parse({ status: 'succeeded', result }).result).toEqual(result);
  });
});

describe('HeartbeatRequestSchema', () => {
  test('when only the health is reported, it accepts the heartbeat', () => {
    // Given
    const input = { health: 'ok' };
    // When
    const heartbeat = HeartbeatRequestSchema.parse(input);
    // Then
    expect(heartbeat).toEqual({ health: 'ok' });
  });

  test('when disks and copies are reported, it keeps them', () => {
    // Given
    const copy = { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', role: 'mirror', generation: 3, state: 'mirroring' };
    const input = { health: 'degraded', disks: [DISK], copies: [copy] };
    // When
    const heartbeat = HeartbeatRequestSchema.parse(input);
    // Then
    expect(heartbeat.copies).toEqual([copy]);
    expect(heartbeat.disks?.[0]?.health).toBe('ok');
  });

  test.each([
    ['health is missing', {}, 'health'],
    ['health is a disk health word', { health: 'failed' }, 'health'],
    ['disks are an empty list', { health: 'ok', disks: [] }, 'disks'],
    ['a copy has an unknown role', { health: 'ok', copies: [{ volumeId: 'v', copyId: 'c', role: 'replica', generation: 1, state: 's' }] }, 'copies.0.role'],
    ['a copy has a negative generation', { health: 'ok', copies: [{ volumeId: 'v', copyId: 'c', role: 'primary', generation: -1, state: 's' }] }, 'copies.0.generation'],
    ['a copy has an unknown state', { health: 'ok', copies: [{ volumeId: 'v', copyId: 'c', role: 'primary', generation: 1, state: 'in-sync' }] }, 'copies.0.state'],
    ['a copy detail is over 1024 characters', { health: 'ok', copies: [{ volumeId: 'v', copyId: 'c', role: 'primary', generation: 1, state: 'held', detail: 'd'.repeat(1025) }] }, 'copies.0.detail'],
    ['an unknown field is present', { health: 'ok', load: 0.5 }, 'load'],
  ])('when %s, it rejects the heartbeat naming the field', (_name, input, field) => {
    // Given: the input above
    // When
    const message = rejectionMessage(HeartbeatRequestSchema, input);
    // Then
    expect(message).toContain(field);
  });
});

describe('CommandResultRequestSchema', () => {
  test.each([
    ['a bare success', { status: 'succeeded' }],
    ['a success with a result', { status: 'succeeded', result: { path: '/var/lib/blockplane/cpy-1', nbdPort: 10809 } }],
    ['a failure with its error', { status: 'failed', error: { code: 'ENOSPC', message: 'no space left on device' } }],
    ['a failure with an empty message', { status: 'failed', error: { code: 'ENOSPC', message: '' } }],
  ])('when the host reports %s, it accepts it', (_name, input) => {
    // Given: the input above
    // When
    const result = CommandResultRequestSchema.safeParse(input);
    // Then
    expect(result.success).toBe(true);
    expect(result.data).toEqual(input);
  });

  test('when a failure has no error, it rejects it on the error field', () => {
    // Given
    const input = { status: 'failed' };
    // When
    const message = rejectionMessage(CommandResultRequestSchema, input);
    // Then
    expect(message).toBe("invalid request: error: a failed result needs 'error'; a succeeded result must not have one");
  });

  test('when a success carries an error, it rejects it on the error field', () => {
    // Given
    const input = { status: 'succeeded', error: { code: 'X', message: 'y' } };
    // When
    const message = rejectionMessage(CommandResultRequestSchema, input);
    // Then
    expect(message).toContain("error: a failed result needs 'error'");
  });

  test.each([
    ['status is unknown', { status: 'done' }, 'status'],
    ['the error code is empty', { status: 'failed', error: { code: '', message: 'x' } }, 'error.code'],
    ['the error has an unknown field', { status: 'failed', error: { code: 'E', message: 'x', stack: '...' } }, 'stack'],
    ['the result is not an object', { status: 'succeeded', result: 'ok' }, 'result'],
    ['an unknown field is present', { status: 'succeeded', hostId: 'host-02' }, 'hostId'],
  ])('when %s, it rejects the result naming the field', (_name, input, field) => {
    // Given: the input above
    // When
    const message = rejectionMessage(CommandResultRequestSchema, input);
    // Then
    expect(message).toContain(field);
  });
});

describe('PollCommandsQuerySchema', () => {
  test('when no wait is given, it does not wait', () => {
    // When
    const result = PollCommandsQuerySchema.parse({});
    // Then
    expect(result).toEqual({ wait: 0 });
  });

  test('when wait is the string "20", it waits 20 seconds', () => {
    // When
    const result = PollCommandsQuerySchema.parse({ wait: '20' });
    // Then
    expect(result).toEqual({ wait: 20 });
  });

  test.each(['21', '-1', '1.5', 'soon', '1e1', '0x14', ' 5', '05x'])('when wait is %p, it rejects the query naming wait', (wait) => {
    // When
    const result = rejectionMessage(PollCommandsQuerySchema, { wait });
    // Then
    expect(result).toContain('wait');
  });
});

describe('HostIdSchema and CommandIdSchema', () => {
  test('when given a freshly generated command id, it accepts it', () => {
    // When
    const result = CommandIdSchema.safeParse(newCommandId(new Date())).success;
    // Then
    expect(result).toBe(true);
  });

  test.each(['cmd-123', 'CMD-0000000000-00000000', 'cmd-0000000000-0000000g'])('when given command id %p, it rejects it', (id) => {
    // When
    const result = CommandIdSchema.safeParse(id).success;
    // Then
    expect(result).toBe(false);
  });

  test.each([
    ['abc', true],
    ['host-01', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['-host', false],
    ['ho', false],
  ])('when given host id %p, it answers valid=%p', (id, valid) => {
    // When
    const result = HostIdSchema.safeParse(id).success;
    // Then
    expect(result).toBe(valid);
  });
});
