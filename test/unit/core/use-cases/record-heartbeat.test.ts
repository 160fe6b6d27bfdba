import { ForbiddenError, NotFoundError } from '../../../../core/errors';
import type { HeartbeatRequest } from '../../../../core/host-requests';
import { recordHeartbeat, type RecordHeartbeatDeps } from '../../../../core/use-cases/record-heartbeat';
import { aHost, aVolume, capacity, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';

const NOW = '2025-03-01T00:05:00.000Z';
const TIMEOUT_SECONDS = 30;
const secondsAgo = (s: number) => new Date(Date.parse(NOW) - s * 1000).toISOString();

function setUp() {
  const hosts = new InMemoryHostRepository();
  const volumes = new InMemoryVolumeRepository();
  const failovers = new RecordingFailoverWorkflows();
  const clock = new FakeClock(NOW);
  hosts.put(aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL, lastHeartbeatAt: secondsAgo(5) }));
  const deps: RecordHeartbeatDeps = { hosts, volumes, failovers, now: clock.now };
  const volume = volumes.put(
    aVolume({
      status: 'in-use',
      copies: [
        { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 1 },
        { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 1 },
      ],
    }),
  );
  return { hosts, volumes, failovers, clock, deps, volume };
}

const report = (volumeId: string, copyId: string, role: 'primary' | 'mirror', state: 'serving' | 'daemon-died' | 'replica-stale' | 'mirroring') => ({
  volumeId,
  copyId,
  role,
  generation: 1,
  state,
});

describe('recordHeartbeat', () => {
  test('when the host reports its health only, it records the time and health and leaves capacity alone', async () => {
    // Given
    const { hosts, failovers, deps } = setUp();
    const before = await hosts.get('host-a');
    // When
    const ack = await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', { health: 'degraded' });
    // Then
    expect(ack).toEqual({ hostId: 'host-a', receivedAt: NOW, lostCopies: [] });
    expect(await hosts.get('host-a')).toMatchObject({ health: 'degraded', lastHeartbeatAt: NOW, capacity: before?.capacity });
    expect(failovers.started).toEqual([]);
  });

  test('when the host reports its disks, it recomputes capacity and keeps what is allocated', async () => {
    // Given
    const { hosts, deps } = setUp();
    hosts.put(aHost({ hostId: 'host-a', lastHeartbeatAt: NOW, capacity: { ssd: capacity({ capacityGiB: 1000, allocatedGiB: 300, allocatedIops: 6000 }) } }));
    const heartbeat: HeartbeatRequest = { health: 'ok', disks: [{ deviceId: 'nvme0n1', type: 'ssd', capacityGiB: 2000, iopsCapacity: 50_000, health: 'ok' }] };
    // When
    await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect((await hosts.get('host-a'))?.capacity.ssd).toEqual({ capacityGiB: 2000, iopsCapacity: 50_000, allocatedGiB: 300, allocatedIops: 6000 });
  });

  test('when a reservation lands between the heartbeat reading the host and writing it, the heartbeat succeeds and the reservation stays counted', async () => {
    // Given: pins issue 7 "heartbeats can fail because of placements" (the liveness write was conditional on the host's version)
    const { hosts, deps, volume } = setUp();
    const read = hosts.get.bind(hosts);
    let reserved = false;
    hosts.get = async (hostId: string) => {
      const host = await read(hostId);
      if (!reserved) {
        reserved = true;
        await hosts.reserve([{ hostId: 'host-a', volumeId: volume.volumeId, copyId: 'cpy-00000000000a', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
      }
      return host;
    };
    const heartbeat: HeartbeatRequest = { health: 'ok', disks: [{ deviceId: 'nvme0n1', type: 'ssd', capacityGiB: 1000, iopsCapacity: 100_000, health: 'ok' }] };
    // When
    const ack = await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect(ack.receivedAt).toBe(NOW);
    expect(await read('host-a')).toMatchObject({ lastHeartbeatAt: NOW, capacity: { ssd: { capacityGiB: 1000, allocatedGiB: 100, allocatedIops: 3000 } } });
  });

  test("when a copy's storage daemon died, it starts a fail-over for that copy", async () => {
    // Given
    const { failovers, deps, volume } = setUp();
    const heartbeat: HeartbeatRequest = { health: 'ok', copies: [{ ...report(volume.volumeId, 'cpy-00000000000a', 'primary', 'daemon-died'), detail: 'exit 137' }] };
    // When
    const ack = await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect(ack.lostCopies).toEqual(['cpy-00000000000a']);
    expect(failovers.started).toEqual([
      { volumeId: volume.volumeId, lostCopyId: 'cpy-00000000000a', reason: 'the storage daemon of the copy on host host-a died: exit 137', volumeVersion: volume.version },
    ]);
  });

  test('when a primary reports its replica stale, it starts a fail-over for the mirror, not the primary', async () => {
    // Given
    const { failovers, deps, volume } = setUp();
    const heartbeat: HeartbeatRequest = { health: 'ok', copies: [report(volume.volumeId, 'cpy-00000000000a', 'primary', 'replica-stale')] };
    // When
    await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect(failovers.started).toEqual([
      { volumeId: volume.volumeId, lostCopyId: 'cpy-00000000000b', reason: 'the primary on host host-a lost its mirror on host host-b', volumeVersion: volume.version },
    ]);
  });

  test('when a primary still reports an old stale replica while its new mirror is being built, the new mirror is not failed over (bug pin)', async () => {
    // Given: the mirror was replaced and the new one is not in sync yet
    const { failovers, deps, volume, volumes } = setUp();
    volumes.put({ ...volume, copies: [volume.copies[0]!, { copyId: 'cpy-00000000000c', hostId: 'host-c', role: 'mirror', inSync: false }] });
    const heartbeat: HeartbeatRequest = { health: 'ok', copies: [report(volume.volumeId, 'cpy-00000000000a', 'primary', 'replica-stale')] };
    // When
    await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect(failovers.started).toEqual([]);
  });

  test('when healthy copies and copies of unknown volumes are reported, it starts nothing', async () => {
    // Given
    const { failovers, deps, volume } = setUp();
    const heartbeat: HeartbeatRequest = {
      health: 'ok',
      copies: [report(volume.volumeId, 'cpy-00000000000a', 'primary', 'serving'), report('vol-0000000000000dead', 'cpy-000000000077', 'primary', 'daemon-died')],
    };
    // When
    await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', heartbeat);
    // Then
    expect(failovers.started).toEqual([]);
  });

  test('when another host has been silent too long, the heartbeat leaves it to the scheduled sweep (issue 6, invariant 5)', async () => {
    // Given: host-b's heartbeats stopped; the first heartbeat after a control-plane outage must not judge it
    const { hosts, failovers, deps, volume } = setUp();
    hosts.put(aHost({ hostId: 'host-b', principalArn: OTHER_HOST_PRINCIPAL, lastHeartbeatAt: secondsAgo(TIMEOUT_SECONDS + 1) }));
    await hosts.reserve([{ hostId: 'host-b', volumeId: volume.volumeId, copyId: 'cpy-00000000000b', type: 'ssd', sizeGiB: 100, iops: 3000 }]);
    // When
    const ack = await recordHeartbeat(deps, HOST_PRINCIPAL, 'host-a', { health: 'ok' });
    // Then
    expect(ack).not.toHaveProperty('silentHosts');
    expect((await hosts.get('host-b'))?.status).toBe('active');
    expect(failovers.startCalls).toBe(0);
  });

  test('when another principal sends the heartbeat, it throws ForbiddenError and records nothing', async () => {
    // Given
    const { hosts, deps } = setUp();
    const host = await hosts.get('host-a');
    // When
    const act = recordHeartbeat(deps, OTHER_HOST_PRINCIPAL, 'host-a', { health: 'ok' });
    // Then
    await expect(act).rejects.toThrow(ForbiddenError);
    expect(await hosts.get('host-a')).toEqual(host);
  });

  test('when the host is not registered, it throws NotFoundError', async () => {
    // Given
    const { deps } = setUp();
    // When
    const act = recordHeartbeat(deps, HOST_PRINCIPAL, 'host-z', { health: 'ok' });
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});
