import { ForbiddenError, InvalidRequestError } from '../../../../core/errors';
import { authorizeHost } from '../../../../core/use-cases/authorize-host';
import { RegisterHostRequestSchema, type RegisterHostRequest } from '../../../../core/host-requests';
import { parseIpv4Cidr } from '../../../../core/storage-network';
import { registerHost, type RegisterHostDeps } from '../../../../core/use-cases/register-host';
import { aVolume, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';

const FIRST = new Date('2025-03-01T00:00:00.000Z');
const LATER = new Date('2025-03-05T00:00:00.000Z');

function registration(overrides: Record<string, unknown> = {}): RegisterHostRequest {
  return RegisterHostRequestSchema.parse({
    hostId: 'host-a',
    location: 'zone-a',
    address: '10.0.0.1',
    agentVersion: '1.0.0',
    disks: [
      { deviceId: 'nvme0n1', type: 'ssd', capacityGiB: 1000, iopsCapacity: 200_000 },
      { deviceId: 'nvme1n1', type: 'ssd', capacityGiB: 500, iopsCapacity: 100_000, health: 'degraded' },
      { deviceId: 'nvme2n1', type: 'ssd', capacityGiB: 800, iopsCapacity: 150_000, health: 'failed' },
      { deviceId: 'sda', type: 'hdd', capacityGiB: 8000, iopsCapacity: 500 },
    ],
    ...overrides,
  });
}

function setUp() {
  const hosts = new InMemoryHostRepository();
  const volumes = new InMemoryVolumeRepository();
  const commands = new InMemoryHostCommandQueue();
  const failovers = new RecordingFailoverWorkflows();
  const deps: RegisterHostDeps = { hosts, volumes, commands, failovers, storageNetwork: parseIpv4Cidr('10.0.0.0/16') };
  return { hosts, volumes, commands, failovers, deps };
}

describe('registerHost', () => {
  test('when a new host registers, it is stored active, bound to its principal, with the capacity of its healthy disks', async () => {
    // Given
    const { hosts, deps } = setUp();
    // When
    const host = await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    // Then
    expect(host).toEqual({
      hostId: 'host-a',
      location: 'zone-a',
      address: '10.0.0.1',
      agentVersion: '1.0.0',
      principalArn: HOST_PRINCIPAL,
      status: 'active',
      health: 'ok',
      capacity: {
        ssd: { capacityGiB: 1500, iopsCapacity: 300_000, allocatedGiB: 0, allocatedIops: 0 },
        hdd: { capacityGiB: 8000, iopsCapacity: 500, allocatedGiB: 0, allocatedIops: 0 },
      },
      lastHeartbeatAt: FIRST.toISOString(),
      registeredAt: FIRST.toISOString(),
      sessionStartedAt: FIRST.toISOString(),
      version: 1,
      disks: expect.arrayContaining([expect.objectContaining({ deviceId: 'nvme0n1', type: 'ssd', health: 'ok' })]),
      diskAllocations: {
        nvme0n1: { allocatedGiB: 0, allocatedIops: 0 },
        nvme1n1: { allocatedGiB: 0, allocatedIops: 0 },
        nvme2n1: { allocatedGiB: 0, allocatedIops: 0 },
        sda: { allocatedGiB: 0, allocatedIops: 0 },
      },
    });
    expect(await hosts.get('host-a')).toEqual(host);
  });

  test('when a host has disks of one type only, it offers no capacity of the other type', async () => {
    // Given
    const { deps } = setUp();
    const request = registration({ disks: [{ deviceId: 'sda', type: 'hdd', capacityGiB: 8000, iopsCapacity: 500 }] });
    // When
    const host = await registerHost(deps, HOST_PRINCIPAL, request, FIRST);
    // Then
    expect(Object.keys(host.capacity)).toEqual(['hdd']);
  });

  test('when another principal registers the same host id, it throws ForbiddenError and keeps the first binding', async () => {
    // Given
    const { hosts, deps } = setUp();
    const first = await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    // When
    const takeover = registerHost(deps, OTHER_HOST_PRINCIPAL, registration({ address: '10.0.6.6' }), LATER);
    // Then
    await expect(takeover).rejects.toThrow(ForbiddenError);
    expect(await hosts.get('host-a')).toEqual(first);
  });

  test.each(['127.0.0.1', '169.254.10.1', '10.1.0.5', '192.168.1.20', 'fd00::5', 'storage-1.zone-a.internal'])(
    'when a host registers the address %s, which is not a usable address of the storage network 10.0.0.0/16, it throws InvalidRequestError and stores nothing',
    async (address) => {
      // Given: pins issue 7 "any address (link-local and loopback included)"
      const { hosts, deps } = setUp();
      // When
      const act = registerHost(deps, HOST_PRINCIPAL, registration({ address }), FIRST);
      // Then
      await expect(act).rejects.toThrow(InvalidRequestError);
      expect(await hosts.get('host-a')).toBeUndefined();
    },
  );

  test('when a principal registers a second host id, the first one is retired: marked unreachable, its copies failed over, its calls refused', async () => {
    // Given: pins issue 7 "a host principal can register any number of host ids"
    const { hosts, volumes, failovers, deps } = setUp();
    await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    const volume = volumes.put(aVolume({ volumeId: 'vol-00000000000000001', status: 'in-use', copies: [{ copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' }] }));
    await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
    // When
    const second = await registerHost(deps, HOST_PRINCIPAL, registration({ hostId: 'host-b' }), LATER);
    // Then
    expect(second.status).toBe('active');
    expect((await hosts.get('host-a'))?.status).toBe('unreachable');
    expect(failovers.started).toEqual([
      { volumeId: 'vol-00000000000000001', lostCopyId: 'cpy-000000000001', reason: 'host host-a was retired: its principal registered as host host-b', volumeVersion: volume.version },
    ]);
    await expect(authorizeHost(hosts, HOST_PRINCIPAL, 'host-a')).rejects.toThrow(ForbiddenError);
    await expect(authorizeHost(hosts, HOST_PRINCIPAL, 'host-b')).resolves.toMatchObject({ hostId: 'host-b' });
  });

  test('when the same principal registers again, it refreshes the host and keeps its allocations and first registration time', async () => {
    // Given
    const { hosts, deps } = setUp();
    await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
    // When
    const again = await registerHost(deps, HOST_PRINCIPAL, registration({ address: '10.0.0.9', agentVersion: '1.1.0' }), LATER);
    // Then
    expect(again).toMatchObject({ address: '10.0.0.9', agentVersion: '1.1.0', registeredAt: FIRST.toISOString(), lastHeartbeatAt: LATER.toISOString(), sessionStartedAt: LATER.toISOString(), version: 3 }); // registration, the reservation, re-registration
    expect(again.capacity.ssd).toEqual({ capacityGiB: 1500, iopsCapacity: 300_000, allocatedGiB: 100, allocatedIops: 3000 });
    expect(again.capacity.hdd).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
    expect(await hosts.get('host-a')).toEqual(again);
  });

  test('when another writer changes the host between the read and the write, it reads again and keeps that writer\'s change', async () => {
    // Given: a reservation lands just after the re-registration read the host (as a placement racing an agent restart would)
    const { hosts, deps } = setUp();
    await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    const read = hosts.get.bind(hosts);
    let raced = false;
    hosts.get = async (hostId) => {
      const host = await read(hostId);
      if (!raced) {
        raced = true;
        await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
      }
      return host;
    };
    // When
    const again = await registerHost(deps, HOST_PRINCIPAL, registration({ agentVersion: '1.1.0' }), LATER);
    // Then
    expect(again).toMatchObject({ agentVersion: '1.1.0', version: 3 });
    expect(again.capacity.ssd).toMatchObject({ allocatedGiB: 100, allocatedIops: 3000 });
    expect(await read('host-a')).toEqual(again);
  });

  test('when a re-registering host lost every disk of a type that holds copies, it keeps the allocations with no capacity left', async () => {
    // Given
    const { hosts, deps } = setUp();
    await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'hdd', sizeGiB: 100, iops: 100 }]);
    const ssdOnly = registration({ disks: [{ deviceId: 'nvme0n1', type: 'ssd', capacityGiB: 1000, iopsCapacity: 200_000 }] });
    // When
    const again = await registerHost(deps, HOST_PRINCIPAL, ssdOnly, LATER);
    // Then
    expect(again.capacity.hdd).toEqual({ capacityGiB: 0, iopsCapacity: 0, allocatedGiB: 100, allocatedIops: 100 });
  });

  test('when a restarted host reports a copy its volume still counts on, it starts a fail-over for that copy and deletes nothing', async () => {
    // Given
    const { volumes, commands, failovers, deps } = setUp();
    const volume = volumes.put(
      aVolume({
        status: 'available',
        copies: [
          { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' },
          { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' },
        ],
      }),
    );
    const copies = [{ volumeId: volume.volumeId, copyId: 'cpy-000000000001', role: 'primary', generation: 1, state: 'held' }];
    // When
    await registerHost(deps, HOST_PRINCIPAL, registration({ copies }), LATER);
    // Then
    expect(failovers.started).toEqual([
      { volumeId: volume.volumeId, lostCopyId: 'cpy-000000000001', reason: 'host host-a restarted; its copy is not trusted', volumeVersion: volume.version },
    ]);
    expect(commands.all()).toEqual([]);
  });

  test('when a restarted host reports copies no volume counts on, it asks the host to delete each of them', async () => {
    // Given
    const { volumes, commands, failovers, deps } = setUp();
    const moved = volumes.put(aVolume({ status: 'available', copies: [{ copyId: 'cpy-000000000009', hostId: 'host-c', role: 'primary' }] }));
    const copies = [
      { volumeId: 'vol-0000000000000dead', copyId: 'cpy-000000000001', role: 'primary', generation: 1, state: 'held' },
      { volumeId: moved.volumeId, copyId: 'cpy-000000000002', role: 'mirror', generation: 1, state: 'held' },
    ];
    // When
    await registerHost(deps, HOST_PRINCIPAL, registration({ copies }), LATER);
    // Then
    expect(failovers.started).toEqual([]);
    expect(commands.all().map((c) => [c.hostId, c.type, c.payload])).toEqual([
      ['host-a', 'delete-copy', { volumeId: 'vol-0000000000000dead', copyId: 'cpy-000000000001', generation: 1 }],
      ['host-a', 'delete-copy', { volumeId: moved.volumeId, copyId: 'cpy-000000000002', generation: 1 }],
    ]);
  });

  test('when a copy id is on the volume but placed on another host, it treats the report as a stray', async () => {
    // Given
    const { volumes, commands, failovers, deps } = setUp();
    const volume = volumes.put(aVolume({ status: 'available', copies: [{ copyId: 'cpy-000000000001', hostId: 'host-b', role: 'primary' }] }));
    const copies = [{ volumeId: volume.volumeId, copyId: 'cpy-000000000001', role: 'primary', generation: 1, state: 'held' }];
    // When
    await registerHost(deps, HOST_PRINCIPAL, registration({ copies }), LATER);
    // Then
    expect(failovers.started).toEqual([]);
    expect(commands.all().map((c) => c.type)).toEqual(['delete-copy']);
  });

  test('when a restarted host reports copies held since a clean stop that nothing happened to, it resumes each as it was and fails none over', async () => {
    // Given
    const { volumes, commands, failovers, deps } = setUp();
    const nbd = { address: '10.0.0.2', port: 10810, exportName: 'vol.g1' };
    const volume = volumes.put(
      aVolume({
        status: 'in-use',
        copies: [
          { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 1 },
          { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 1, nbd },
        ],
      }),
    );
    const copies = [{ volumeId: volume.volumeId, copyId: 'cpy-000000000001', role: 'primary', generation: 1, state: 'held', stoppedCleanly: true }];
    // When
    await registerHost(deps, HOST_PRINCIPAL, registration({ copies }), LATER);
    // Then
    expect(failovers.started).toEqual([]);
    expect(commands.all().map((c) => [c.hostId, c.type, c.payload, c.createdAt])).toEqual([
      [
        'host-a',
        'resume-copy',
        { volumeId: volume.volumeId, copyId: 'cpy-000000000001', role: 'primary', generation: 1, mirror: { hostId: 'host-b', copyId: 'cpy-000000000002', ...nbd } },
        LATER.toISOString(),
      ],
    ]);
  });

  test('when a copy held since a clean stop missed something (its mirror was outdated), it is failed over and the reason says why it was not resumed', async () => {
    // Given
    const { volumes, commands, failovers, deps } = setUp();
    const volume = volumes.put(
      aVolume({
        status: 'degraded',
        generation: 2,
        copies: [{ copyId: 'cpy-000000000002', hostId: 'host-a', role: 'mirror', inSync: false, inSyncGeneration: 1 }],
      }),
    );
    const copies = [{ volumeId: volume.volumeId, copyId: 'cpy-000000000002', role: 'mirror', generation: 1, state: 'held', stoppedCleanly: true }];
    // When
    await registerHost(deps, HOST_PRINCIPAL, registration({ copies }), LATER);
    // Then
    expect(failovers.started).toEqual([
      {
        volumeId: volume.volumeId,
        lostCopyId: 'cpy-000000000002',
        reason: 'host host-a restarted; its copy is not trusted (stopped cleanly, but not resumed: it is at generation 1, the volume at 2)',
        volumeVersion: volume.version,
      },
    ]);
    expect(commands.all()).toEqual([]);
  });
});
