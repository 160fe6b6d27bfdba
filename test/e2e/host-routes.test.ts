import { randomUUID } from 'node:crypto';
import { DynamoDbHostCommandQueue } from '../../adapters/dynamodb-host-command-queue';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { newCommandId } from '../../core/ids';
import { deployment } from './support/local-cloud';
import { freshHostPrincipal } from './support/host-identity';

/**
 * Pins issue 7 "hosts that can't lie", through the deployed API on the local cloud: addresses
 * inside the storage network only, one host id per principal, disks within the documented
 * limits, results only for the host's own copy, and bounded result bodies answered 4xx, never 500.
 */
jest.setTimeout(60_000);

const hosts = new DynamoDbHostRepository(deployment.hostsTableName);
const commands = new DynamoDbHostCommandQueue(deployment.hostCommandsTableName);
const suffix = () => randomUUID().slice(0, 8);

function registration(hostId: string, overrides: Record<string, unknown> = {}) {
  return {
    hostId,
    location: `e2e-routes-${suffix()}`,
    address: '10.77.0.230',
    agentVersion: '1.0.0',
    disks: [{ deviceId: `${hostId}-d0`, type: 'ssd', capacityGiB: 100, iopsCapacity: 20_000 }],
    ...overrides,
  };
}

describe('host registration', () => {
  test.each(['127.0.0.1', '169.254.169.254', '10.78.0.5', '10.77.0.255', 'storage.example'])(
    'when a host registers the address %s, it is refused with 400 and nothing is stored',
    async (address) => {
      const { api } = await freshHostPrincipal(`host-e2e-${suffix()}`);
      const hostId = `e2e-addr-${suffix()}`;

      const response = await api.register(registration(hostId, { address }));

      expect(response.status).toBe(400);
      expect(await hosts.get(hostId)).toBeUndefined();
    },
  );

  test.each([
    ['a disk larger than 16 TiB', [{ deviceId: 'd0', type: 'ssd', capacityGiB: 65_536, iopsCapacity: 20_000 }]],
    ['an hdd claiming 1,000,000 IOPS', [{ deviceId: 'd0', type: 'hdd', capacityGiB: 100, iopsCapacity: 1_000_000 }]],
    ['one disk reported twice', [{ deviceId: 'd0', type: 'ssd', capacityGiB: 100, iopsCapacity: 20_000 }, { deviceId: 'd0', type: 'ssd', capacityGiB: 100, iopsCapacity: 20_000 }]],
  ])('when a host reports %s, it is refused with 400', async (_what, disks) => {
    const { api } = await freshHostPrincipal(`host-e2e-${suffix()}`);
    const hostId = `e2e-disk-${suffix()}`;

    const response = await api.register(registration(hostId, { disks }));

    expect(response.status).toBe(400);
    expect(await hosts.get(hostId)).toBeUndefined();
  });

  test('when one principal registers a second host id, the first is retired: unreachable, and its heartbeats are refused', async () => {
    const { api } = await freshHostPrincipal(`host-e2e-${suffix()}`);
    const first = `e2e-first-${suffix()}`;
    const second = `e2e-second-${suffix()}`;
    expect((await api.register(registration(first))).status).toBe(200);

    expect((await api.register(registration(second))).status).toBe(200);

    expect((await hosts.get(first))?.status).toBe('unreachable');
    expect((await api.heartbeat(first, { health: 'ok' })).status).toBe(403);
    expect((await api.heartbeat(second, { health: 'ok' })).status).toBe(200);
    expect((await hosts.get(first))?.status).toBe('unreachable');
  });
});

describe('host command results', () => {
  async function hostWithCommand() {
    const { api } = await freshHostPrincipal(`host-e2e-${suffix()}`);
    const hostId = `e2e-result-${suffix()}`;
    expect((await api.register(registration(hostId))).status).toBe(200);
    const commandId = newCommandId(new Date());
    await commands.enqueue({
      hostId, commandId, type: 'create-copy', payload: { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001' }, status: 'pending', createdAt: new Date().toISOString(),
    });
    return { api, hostId, commandId };
  }

  const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 1 } : { next: nested(depth - 1) });

  test.each([
    ['names another copy', 403, { copyId: 'cpy-0000000000ff', nbd: { address: '10.77.0.230', port: 10809, exportName: 'v' } }],
    ["puts the endpoint at another host's address", 403, { copyId: 'cpy-000000000001', nbd: { address: '10.77.0.11', port: 10809, exportName: 'v' } }],
    ['is nested 40 levels deep', 400, nested(40)],
    ['holds a number DynamoDB cannot store', 400, { copyId: 'cpy-000000000001', size: 1e300 }],
    ['has an empty key', 400, { '': 1 }],
  ])('when a result %s, it is refused with %i and the command stays pending', async (_what, status, result) => {
    const { api, hostId, commandId } = await hostWithCommand();

    const response = await api.postResult(hostId, commandId, { status: 'succeeded', result });

    expect(response.status).toBe(status);
    expect((await commands.get(hostId, commandId))?.status).toBe('pending');
  });

  test('when a result is about the command\'s own copy at the host\'s address, it is recorded', async () => {
    const { api, hostId, commandId } = await hostWithCommand();

    const response = await api.postResult(hostId, commandId, { status: 'succeeded', result: { copyId: 'cpy-000000000001', nbd: { address: '10.77.0.230', port: 10809, exportName: 'v' } } });

    expect(response.status).toBe(200);
    expect((await commands.get(hostId, commandId))?.status).toBe('succeeded');
  });
});
