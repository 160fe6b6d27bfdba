/**
 * The agent's recovery of a stale replica, between two hosts in two network namespaces (as in
 * replication.test.ts): the mirror copy's daemon is SIGKILLed under a write-blocking mirror
 * while a client writes through the primary. The primary reports `created` / "replica
 * resyncing" (not `replica-stale`) while the mirror controller probes the target; a mirror
 * back within the grace period is resynced incrementally and the primary is `serving` again;
 * a mirror that does not come back makes the primary `replica-stale` after the grace period.
 */
import * as path from 'node:path';
import { RESYNC_GRACE_MS, ReplicaResyncedEvent } from '../../../agent/controllers/mirror-controller';
import { CopyReport } from '../../../agent/controllers/copy-state';
import { TestHost, VolumeKeys, createCopyPayload, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { waitUntil } from '../helpers/copy-fixture';
import { NetnsPair } from '../helpers/netns-pair';
import { TlsClient, makeTlsClient, qemuIoFile, qemuIoTls, sha256OfFileDirect } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

interface Endpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

describe('recovery of a stale replica by the agent', () => {
  let network: NetnsPair | undefined;
  let hostA: TestHost | undefined;
  let hostB: TestHost | undefined;
  const volumeId = newVolumeId();
  const keys: VolumeKeys = volumeKeys(volumeId);
  let primary: Endpoint;
  let mirror: Endpoint;
  let clientKey: TlsClient;
  const statesOfA: CopyReport[] = [];

  const target = (endpoint: Endpoint) => ({ host: endpoint.nbd.address, port: endpoint.nbd.port, exportName: endpoint.nbd.exportName });
  const inA = () => ({ netns: network!.a.netns, timeoutMs: 60_000 });
  const stateOfA = () => hostA!.copies.reports().find((report) => report.copyId === primary.copyId);

  beforeAll(async () => {
    network = await NetnsPair.create();
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports: { first: 10800, last: 10809 } });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports: { first: 10800, last: 10809 } });
    clientKey = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', 'client'), keys.clientKey);
    hostA.copies.on('state-changed', (report: CopyReport) => statesOfA.push(report));
    const created = await Promise.all([
      hostA.run('create-copy', createCopyPayload(volumeId, keys, { role: 'primary' })),
      hostB.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror' })),
    ]);
    [primary, mirror] = created.map((outcome) => (outcome as unknown as { result: Endpoint }).result) as [Endpoint, Endpoint];
    await qemuIoTls(target(primary), clientKey, ['write -P 0x11 0 4M'], inA());
    const replication = await hostA.run('start-replication', {
      volumeId,
      copyId: primary.copyId,
      generation: 1,
      mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...mirror.nbd },
      replicationKey: keys.replicationKey,
      sync: 'full',
    });
    expect(replication).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, state: 'serving' } });
  });

  afterAll(async () => {
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  /** SIGKILLs the mirror copy's daemon on host B and waits until B reports it `daemon-died`. */
  async function killMirrorDaemon(): Promise<void> {
    const pid = hostB!.copies.describe(mirror.copyId)!.daemonPid as number;
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => hostB!.copies.reports()[0]?.state === 'daemon-died', 10_000, 'the mirror copy to report daemon-died');
  }

  it('when the mirror daemon dies and comes back within the grace period, the primary reports "replica resyncing", resyncs only the changes and is serving again with identical files', async () => {
    // Given
    statesOfA.length = 0;
    const resynced = new Promise<ReplicaResyncedEvent>((resolve) => hostA!.mirrors.once('replica-resynced', resolve));
    // When: the mirror dies, and the client keeps writing (each write acknowledged)
    await killMirrorDaemon();
    const firstWriteStarted = Date.now();
    await qemuIoTls(target(primary), clientKey, ['write -P 0x22 16M 1M'], inA());
    const firstWriteMs = Date.now() - firstWriteStarted;
    await waitUntil(() => /^replica resyncing: /.test(stateOfA()?.detail ?? ''), 15_000, 'the primary to report replica resyncing');
    const resyncingAt = Date.now();
    expect(stateOfA()).toMatchObject({ state: 'created', detail: expect.stringMatching(/^replica resyncing: .*error/) });
    await qemuIoTls(target(primary), clientKey, ['write -P 0x23 40M 512k', 'write -P 0x24 300M 64k'], inA());
    // And the mirror host serves the copy again (as the control plane would say)
    const resumed = await hostB!.run('resume-copy', { volumeId, copyId: mirror.copyId, role: 'mirror', generation: 1, replicationKey: keys.replicationKey });
    expect(resumed).toEqual({ status: 'succeeded', result: mirror });
    // Then
    const { report } = await resynced;
    await waitUntil(() => stateOfA()?.state === 'serving', 10_000, 'the primary to report serving');
    const copiedBytes = report.passes.reduce((sum, pass) => sum + pass.dirtyBytes, 0);
    console.log(
      `agent resync: first write after the kill took ${firstWriteMs} ms; resyncing -> serving in ${Date.now() - resyncingAt} ms; ` +
        `${JSON.stringify(report)}; copied ${copiedBytes} bytes of ${GiB}; clients cut off ${report.clientPauseMs} ms`,
    );
    expect(report.mode).toBe('incremental');
    expect(copiedBytes).toBeGreaterThanOrEqual(1 * MiB + 512 * 1024 + 64 * 1024);
    expect(copiedBytes).toBeLessThan(64 * MiB);
    expect(statesOfA.map((state) => state.state)).not.toContain('replica-stale');
    expect(statesOfA.map((state) => [state.state, state.detail?.replace(/:.*/, '')])).toEqual([
      ['created', 'replica resyncing'],
      ['serving', undefined],
    ]);

    // And the replica is synchronous again: an acknowledged write is on the mirror file at once
    await qemuIoTls(target(primary), clientKey, ['write -P 0x25 500M 64k'], inA());
    const mirrorFile = hostB!.copies.describe(mirror.copyId)!.dataPath;
    const primaryFile = hostA!.copies.describe(primary.copyId)!.dataPath;
    await qemuIoFile(mirrorFile, ['read -P 0x11 0 4M', 'read -P 0x22 16M 1M', 'read -P 0x23 40M 512k', 'read -P 0x24 300M 64k', 'read -P 0x25 500M 64k']);
    expect(await sha256OfFileDirect(mirrorFile)).toBe(await sha256OfFileDirect(primaryFile));
  });

  it('when the mirror daemon dies and does not come back, the primary reports replica-stale once the grace period has passed', async () => {
    // Given
    statesOfA.length = 0;
    // When
    await killMirrorDaemon();
    await qemuIoTls(target(primary), clientKey, ['write -P 0x31 64M 1M'], inA());
    await waitUntil(() => /^replica resyncing: /.test(stateOfA()?.detail ?? ''), 15_000, 'the primary to report replica resyncing');
    const resyncingAt = Date.now();
    await qemuIoTls(target(primary), clientKey, ['write -P 0x32 65M 1M', 'read -P 0x31 64M 1M'], inA());
    // Then
    await waitUntil(() => stateOfA()?.state === 'replica-stale', RESYNC_GRACE_MS + 10_000, 'the primary to report replica-stale');
    const staleAfterMs = Date.now() - resyncingAt;
    console.log(`agent recovery gave up ${staleAfterMs} ms after "replica resyncing" (grace ${RESYNC_GRACE_MS} ms): ${stateOfA()?.detail}`);
    expect(staleAfterMs).toBeGreaterThanOrEqual(RESYNC_GRACE_MS - 1_000);
    expect(stateOfA()).toEqual({
      volumeId,
      copyId: primary.copyId,
      role: 'primary',
      generation: 1,
      state: 'replica-stale',
      detail: expect.stringMatching(new RegExp(`error.*did not come back within ${RESYNC_GRACE_MS} ms`)),
    });
    expect(statesOfA.map((state) => state.state)).toEqual(['created', 'replica-stale']);
    // And the client still reads and writes on the primary
    await qemuIoTls(target(primary), clientKey, ['write -P 0x33 66M 64k', 'read -P 0x32 65M 1M'], inA());
  });
});
