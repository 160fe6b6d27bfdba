import { runSilentHostSweep, sweepSilentHostsBatch, type SweepSilentHostsDeps } from '../../../../core/use-cases/sweep-silent-hosts';
import { aHost, aVolume } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryHostSweepStore } from '../../fakes/in-memory-host-sweep-store';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';
import { RecordingTaskCallbacks } from '../../fakes/recording-task-callbacks';

const NOW = '2025-03-01T00:10:00.000Z';
const TIMEOUT = 6;
const ago = (s: number) => new Date(Date.parse(NOW) - s * 1000).toISOString();

async function setUp() {
  const hosts = new InMemoryHostRepository();
  const volumes = new InMemoryVolumeRepository();
  const failovers = new RecordingFailoverWorkflows();
  const sweep = new InMemoryHostSweepStore(hosts);
  const clock = new FakeClock(NOW);
  sweep.state = { continuity: { lastSweepAt: ago(2), observedSince: ago(600), newestHeartbeatAt: ago(1) } };
  const commands = new InMemoryHostCommandQueue();
  const callbacks = new RecordingTaskCallbacks();
  const deps: SweepSilentHostsDeps = { sweep, hosts, volumes, failovers, commands, callbacks, now: clock.now, heartbeatTimeoutSeconds: TIMEOUT, commandTimeoutSeconds: 15 };
  hosts.put(aHost({ hostId: 'host-a', lastHeartbeatAt: ago(1) }));
  hosts.put(aHost({ hostId: 'host-b', lastHeartbeatAt: ago(TIMEOUT + 1) }));
  const volume = volumes.put(
    aVolume({ status: 'in-use', version: 7, copies: [{ copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary' }, { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror' }] }),
  );
  await hosts.reserve([{ hostId: 'host-b', volumeId: volume.volumeId, copyId: 'cpy-00000000000b', type: 'ssd', sizeGiB: 1, iops: 1 }]);
  return { hosts, volumes, failovers, sweep, clock, deps, volume, commands, callbacks };
}

describe('sweepSilentHostsBatch', () => {
  test('when a host went silent, it starts a fail-over of each copy it held (keyed by the volume version) and marks it unreachable', async () => {
    // Given
    const { hosts, failovers, deps, volume } = await setUp();
    // When
    const outcome = await sweepSilentHostsBatch(deps);
    // Then
    expect(outcome).toEqual({ lostHostIds: ['host-b'], stalledCommandIds: [], continuityBreak: undefined, passComplete: true });
    expect((await hosts.get('host-b'))?.status).toBe('unreachable');
    expect((await hosts.get('host-a'))?.status).toBe('active');
    expect(failovers.started).toEqual([
      { volumeId: volume.volumeId, lostCopyId: 'cpy-00000000000b', reason: `host host-b stopped heartbeating (last at ${ago(TIMEOUT + 1)})`, volumeVersion: 7 },
    ]);
  });

  test('pins issue 6 invariant 5: when the sweep itself did not run for longer than the timeout, it declares nobody lost', async () => {
    // Given: the control plane was down for 20 s (no sweep, no heartbeats recorded)
    const { hosts, failovers, sweep, deps } = await setUp();
    sweep.state = { continuity: { lastSweepAt: ago(20), observedSince: ago(600), newestHeartbeatAt: ago(20) } };
    // When
    const outcome = await sweepSilentHostsBatch(deps);
    // Then
    expect(outcome.lostHostIds).toEqual([]);
    expect(outcome.continuityBreak).toBe('sweep-gap');
    expect((await hosts.get('host-b'))?.status).toBe('active');
    expect(failovers.startCalls).toBe(0);
    expect(sweep.state.continuity?.observedSince).toBe(NOW);
  });

  test('when a sweep is cut off after starting the fail-overs but before marking, the next batch redoes both and the fail-over starts once', async () => {
    // Given: the first sweep dies inside markUnreachable
    const { hosts, failovers, deps } = await setUp();
    const mark = hosts.markUnreachable.bind(hosts);
    hosts.markUnreachable = async () => {
      throw new Error('Lambda timed out');
    };
    await expect(sweepSilentHostsBatch(deps)).rejects.toThrow('Lambda timed out');
    hosts.markUnreachable = mark;
    // When
    const outcome = await sweepSilentHostsBatch(deps);
    // Then
    expect(outcome.lostHostIds).toEqual(['host-b']);
    expect(failovers.startCalls).toBe(2);
    expect(failovers.started).toHaveLength(1);
  });

  test('when the fleet is larger than a batch, each batch resumes where the last stopped and the pass completes', async () => {
    // Given: 5 hosts, batches of 2
    const { hosts, deps, sweep } = await setUp();
    for (const id of ['host-c', 'host-d', 'host-e']) hosts.put(aHost({ hostId: id, lastHeartbeatAt: ago(1) }));
    // When
    const outcomes = [await sweepSilentHostsBatch(deps, 2), await sweepSilentHostsBatch(deps, 2), await sweepSilentHostsBatch(deps, 2)];
    // Then
    expect(outcomes.map((o) => o.passComplete)).toEqual([false, false, true]);
    expect(outcomes.flatMap((o) => o.lostHostIds)).toEqual(['host-b']);
    expect(sweep.state.cursor).toBeUndefined();
  });
});

describe('sweepSilentHostsBatch and progress', () => {
  test('pins issue 7: a waiting host task fails with HostTaskStalled only when its host stopped reporting progress, not after a fixed time', async () => {
    // Given: two commands created 60 s ago (four times the 15 s timeout); one reported progress 5 s ago
    const { commands, callbacks, deps } = await setUp();
    const base = { hostId: 'host-a', type: 'start-replication' as const, payload: {}, status: 'pending' as const, createdAt: ago(60) };
    await commands.enqueue({ ...base, commandId: 'cmd-0000000001-00000001', taskToken: 'moving' });
    await commands.enqueue({ ...base, commandId: 'cmd-0000000002-00000002', taskToken: 'stuck' });
    await commands.recordProgress('host-a', 'cmd-0000000001-00000001', { current: 10, total: 100 }, new Date(ago(5)));
    // When
    const outcome = await sweepSilentHostsBatch(deps);
    // Then
    expect(outcome.stalledCommandIds).toEqual(['cmd-0000000002-00000002']);
    expect(callbacks.calls).toEqual([{ kind: 'fail', taskToken: 'stuck', error: 'HostTaskStalled', cause: expect.stringContaining('no progress on start-replication for 15 s') }]);
    expect((await commands.get('host-a', 'cmd-0000000002-00000002'))?.status).toBe('failed');
    expect((await commands.get('host-a', 'cmd-0000000001-00000001'))?.status).toBe('pending');
  });
  // Seen on the fleet (2026-12-03): a volume whose copy was on a host that had just died could not
  // be deleted: the delete-copy stalled, the volume ended error with its reservations kept, and so
  // did every later DELETE while the host stayed down.
  test('a stalled delete-copy on an unreachable host is left to the host: its task succeeds and the host gets the delete for when it returns; other stalled commands there still fail', async () => {
    // Given: host-b went silent with a delete-copy and a start-replication waiting on it
    const { commands, callbacks, deps } = await setUp();
    const base = { hostId: 'host-b', payload: { volumeId: 'vol-00000000000000001', copyId: 'cpy-00000000000b' }, status: 'pending' as const, createdAt: ago(60) };
    await commands.enqueue({ ...base, type: 'delete-copy', commandId: 'cmd-0000000001-00000001', taskToken: 'deleting' });
    await commands.enqueue({ ...base, type: 'start-replication', commandId: 'cmd-0000000002-00000002', taskToken: 'replicating' });
    // When
    const outcome = await sweepSilentHostsBatch(deps);
    // Then
    expect(outcome.lostHostIds).toEqual(['host-b']);
    expect(callbacks.calls).toEqual([
      { kind: 'succeed', taskToken: 'deleting', output: { deletedWhenHostReturns: true, reason: 'host host-b is unreachable: it deletes the copy when it returns' } },
      { kind: 'fail', taskToken: 'replicating', error: 'HostTaskStalled', cause: expect.stringContaining('no progress on start-replication') },
    ]);
    const left = commands.all().filter((c) => c.hostId === 'host-b' && c.type === 'delete-copy' && c.status === 'pending');
    expect(left.map((c) => [c.payload, c.taskToken])).toEqual([[base.payload, undefined]]);
    // And a host that is alive but does not answer still fails the delete
    await commands.enqueue({ ...base, hostId: 'host-a', type: 'delete-copy', commandId: 'cmd-0000000003-00000003', taskToken: 'silent-but-alive' });
    await sweepSilentHostsBatch(deps);
    expect(callbacks.calls.slice(-1)).toEqual([{ kind: 'fail', taskToken: 'silent-but-alive', error: 'HostTaskStalled', cause: expect.stringContaining('no progress on delete-copy') }]);
  });
});

describe('runSilentHostSweep', () => {
  test('when it runs for its budget, it passes over the fleet once per interval and stops before the budget ends', async () => {
    // Given
    const { deps, clock } = await setUp();
    // When
    const outcome = await runSilentHostSweep({ ...deps, sleep: clock.sleep }, { runSeconds: 10, intervalSeconds: 2 });
    // Then
    expect(outcome.passes).toBe(5);
    expect(outcome.lostHostIds).toEqual(['host-b']);
    expect(clock.now().getTime() - Date.parse(NOW)).toBeLessThanOrEqual(10_000);
  });
});
