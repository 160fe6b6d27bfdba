import { ForbiddenError } from '../../../../core/errors';
import { RegisterHostRequestSchema, type RegisterHostRequest } from '../../../../core/host-requests';
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
  const deps: RegisterHostDeps = { hosts, volumes, commands, failovers };
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
      version: 1,
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
    const takeover = registerHost(deps, OTHER_HOST_PRINCIPAL, registration({ address: '10.6.6.6' }), LATER);
    // Then
    await expect(takeover).rejects.toThrow(ForbiddenError);
    expect(await hosts.get('host-a')).toEqual(first);
  });

  test('when the same principal registers again, it refreshes the host and keeps its allocations and first registration time', async () => {
    // Given
    const { hosts, deps } = setUp();
    await registerHost(deps, HOST_PRINCIPAL, registration(), FIRST);
    await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
    // When
    const again = await registerHost(deps, HOST_PRINCIPAL, registration({ address: '10.0.0.9', agentVersion: '1.1.0' }), LATER);
    // Then
    expect(again).toMatchObject({ address: '10.0.0.9', agentVersion: '1.1.0', registeredAt: FIRST.toISOString(), lastHeartbeatAt: LATER.toISOString(), version: 3 }); // registration, the reservation, re-registration
    expect(again.capacity.ssd).toEqual({ capacityGiB: 1500, iopsCapacity: 300_000, allocatedGiB: 100, allocatedIops: 3000 });
    expect(again.capacity.hdd).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
    expect(await hosts.get('host-a')).toEqual(again);
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
});
