import { detectSilentHosts, reportLostCopies, type DetectLostCopiesDeps } from '../../../../core/use-cases/detect-lost-copies';
import { aHost } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';

function setUp() {
  const hosts = new InMemoryHostRepository();
  const failovers = new RecordingFailoverWorkflows();
  const clock = new FakeClock('2025-03-01T00:10:00.000Z');
  const deps: DetectLostCopiesDeps = { hosts, failovers, now: clock.now, heartbeatTimeoutSeconds: 30 };
  return { hosts, failovers, clock, deps };
}

describe('detectSilentHosts', () => {
  test('when a host went silent, it marks it unreachable and starts a fail-over for each copy it held', async () => {
    // Given
    const { hosts, failovers, deps } = setUp();
    hosts.put(aHost({ hostId: 'host-a', lastHeartbeatAt: '2025-03-01T00:00:00.000Z' }));
    hosts.put(aHost({ hostId: 'host-b', lastHeartbeatAt: '2025-03-01T00:09:59.000Z' }));
    await hosts.reserve([
      { hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 1, iops: 1 },
      { hostId: 'host-a', volumeId: 'vol-00000000000000002', copyId: 'cpy-000000000002', type: 'ssd', sizeGiB: 1, iops: 1 },
    ]);
    // When
    const lost = await detectSilentHosts(deps, 'zone-a');
    // Then
    expect(lost).toEqual(['host-a']);
    expect((await hosts.get('host-a'))?.status).toBe('unreachable');
    expect((await hosts.get('host-b'))?.status).toBe('active');
    expect(failovers.started.map((f) => [f.volumeId, f.lostCopyId])).toEqual([
      ['vol-00000000000000001', 'cpy-000000000001'],
      ['vol-00000000000000002', 'cpy-000000000002'],
    ]);
    expect(failovers.started[0]?.reason).toBe('host host-a stopped heartbeating (last at 2025-03-01T00:00:00.000Z)');
  });

  test('when the silent host speaks again before it is marked, it is not treated as lost', async () => {
    // Given: the host heartbeats between the sweep's read and its mark
    const { hosts, failovers, deps } = setUp();
    hosts.put(aHost({ hostId: 'host-a', lastHeartbeatAt: '2025-03-01T00:00:00.000Z' }));
    const list = hosts.listInLocation.bind(hosts);
    hosts.listInLocation = async (location) => {
      const seen = await list(location);
      await hosts.recordHeartbeat('host-a', '2025-03-01T00:10:00.000Z', 'ok');
      return seen;
    };
    // When
    const lost = await detectSilentHosts(deps, 'zone-a');
    // Then
    expect(lost).toEqual([]);
    expect((await hosts.get('host-a'))?.status).toBe('active');
    expect(failovers.startCalls).toBe(0);
  });

  test('when two sweeps race for the same silent host, only one starts its fail-overs', async () => {
    // Given
    const { hosts, failovers, deps } = setUp();
    hosts.put(aHost({ hostId: 'host-a', lastHeartbeatAt: '2025-03-01T00:00:00.000Z' }));
    await hosts.reserve([{ hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 1, iops: 1 }]);
    // When
    const [one, two] = await Promise.all([detectSilentHosts(deps, 'zone-a'), detectSilentHosts(deps, 'zone-a')]);
    // Then
    expect([...one, ...two]).toEqual(['host-a']);
    expect(failovers.startCalls).toBe(1);
  });
});

describe('reportLostCopies', () => {
  test('when copies are reported lost, it starts one fail-over per copy with its reason', async () => {
    // Given
    const failovers = new RecordingFailoverWorkflows();
    const losses = [
      { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', reason: 'daemon died' },
      { volumeId: 'vol-00000000000000002', copyId: 'cpy-000000000002', reason: 'replica stale' },
    ];
    // When
    await reportLostCopies(failovers, losses);
    // Then
    expect(failovers.started).toEqual(losses.map(({ volumeId, copyId, reason }) => ({ volumeId, lostCopyId: copyId, reason })));
  });
});
