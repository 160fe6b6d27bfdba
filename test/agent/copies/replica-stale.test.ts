/**
 * Losing the mirror: the mirror copy's daemon is SIGKILLed under a write-blocking mirror.
 * The primary must keep acknowledging client writes, turn the replica `stale` from the job
 * events alone, and bring it back in sync once the mirror daemon returns (incremental resync
 * from the resync bitmap, or a full one).
 */
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { ReplicaStaleEvent } from '../../../agent/copies/mirror-job';
import { ReplicaStatus } from '../../../agent/copies/replica-status';
import { DaemonExit } from '../../../agent/qsd/storage-daemon';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe, serveCopy, waitUntil } from '../helpers/copy-fixture';
import { TlsClient, makeTlsClient, qemuIoFile, qemuIoTls, sha256OfFileDirect } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

describe('replica turns stale when the mirror daemon dies', () => {
  const reaper = new DaemonReaper();
  const replicationKey = generatePskKey('replication');
  let fsys: LoopFilesystem;
  let primary: ServedTestCopy;
  let mirror: ServedTestCopy;
  let client: TlsClient;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    const spec = copySpec({ sizeBytes: 64 * MiB });
    const clientKey = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), clientKey);
    primary = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-a') }), reaper, spec, { clientKeys: [clientKey] });
    mirror = await createAndServe(
      new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-b') }),
      reaper,
      { ...spec, copyId: `${spec.copyId}-m`, role: CopyRole.Mirror },
      { clientKeys: [replicationKey] },
    );
    await primary.served.runtime.startMirror(
      { address: { type: 'inet', host: '127.0.0.1', port: mirror.target.port }, exportName: mirror.target.exportName, key: replicationKey },
      { reconnectDelaySeconds: 1 },
    );
    await qemuIoTls(primary.target, client, ['write -P 0x31 0 4M']);
  });

  /** SIGKILLs the mirror daemon, writes 1 MiB of `pattern` at 20M and waits for `stale`. */
  async function loseMirror(pattern: number): Promise<void> {
    const stale = new Promise<ReplicaStaleEvent>((resolve) => primary.served.runtime.once('replica-stale', resolve));
    process.kill(mirror.served.daemon.pid as number, 'SIGKILL');
    await mirror.served.daemon.waitForExit(10_000);
    await qemuIoTls(primary.target, client, [`write -P ${pattern} 20M 1M`]);
    await stale;
  }

  /** Batches of 32 random 4 KiB writes in a loop, one qemu-io per batch, until `stop()`. */
  function startBackgroundWriter(): { acknowledged: () => number; stop: () => Promise<number> } {
    let running = true;
    let acknowledged = 0;
    const loop = (async () => {
      for (let batch = 0; running; batch++) {
        const commands = Array.from({ length: 32 }, () => `write -q -P ${(batch % 200) + 1} ${Math.floor(Math.random() * 16384) * 4096} 4k`);
        try {
          await qemuIoTls(primary.target, client, commands);
          acknowledged += 1;
        } catch {
          // Deliberately ignored: the final resync pass cuts clients off; the writer reconnects.
        }
      }
    })();
    return {
      acknowledged: () => acknowledged,
      stop: async () => {
        running = false;
        await loop;
        return acknowledged;
      },
    };
  }

  afterAll(async () => {
    await reaper.stopAll();
    await primary?.copy.release();
    await mirror?.copy.release();
    await fsys?.destroy();
  });

  it('when the mirror daemon is SIGKILLed, the replica turns stale via events and client writes still succeed on the primary', async () => {
    // Prepare
    const stale = new Promise<ReplicaStaleEvent>((resolve) => primary.served.runtime.once('replica-stale', resolve));
    const mirrorExited = new Promise<DaemonExit>((resolve) => mirror.served.daemon.once('exited', resolve));
    // Act
    const killedAt = Date.now();
    process.kill(mirror.served.daemon.pid as number, 'SIGKILL');
    await mirrorExited;
    const writeStarted = Date.now();
    await qemuIoTls(primary.target, client, ['write -P 0x32 8M 1M']); // triggers the target error
    const firstWriteMs = Date.now() - writeStarted;
    const event = await stale;
    // Assess
    console.log(`stale ${event.at.getTime() - killedAt} ms after SIGKILL (${event.reason}); first write after the kill took ${firstWriteMs} ms`);
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.Stale);
    expect(event).toMatchObject({ beforeReady: false, jobId: primary.copy.metadata.nodeNames.mirrorJob });
    expect(event.reason).toMatch(/error/);
    await qemuIoTls(primary.target, client, ['write -P 0x33 9M 1M', 'read -P 0x32 8M 1M', 'read -P 0x33 9M 1M']);
    await qemuIoFile(primary.copy.dataPath, ['read -P 0x32 8M 1M', 'read -P 0x33 9M 1M']);
    const observed = await primary.served.runtime.observe();
    expect(observed.export?.nodeName).toBe(primary.copy.metadata.nodeNames.root); // the filter left with the job
  });

  it('when the mirror daemon is back on the same files, an incremental resync copies only the changed regions and the replica is in sync', async () => {
    // Prepare: the mirror host restarts its daemon on the same copy and port
    mirror = await serveCopy(mirror.copy, reaper, { clientKeys: [replicationKey], port: mirror.target.port });
    expect(mirror.served.startReport.previousShutdownUnclean).toBe(true);
    expect(primary.served.runtime.canResyncIncrementally).toBe(true);
    // Act
    const report = await primary.served.runtime.resyncReplica();
    // Assess
    console.log(`incremental resync: ${JSON.stringify(report)}`);
    expect(report.mode).toBe('incremental');
    const copied = report.passes.reduce((sum, pass) => sum + pass.dirtyBytes, 0);
    // the bitmap covers every write since the mirror started: 4 MiB before the loss + 2 MiB while stale, not the 64 MiB volume
    expect(copied).toBe(6 * MiB);
    expect(report.passes.at(-1)?.clientsCutOff).toBe(true);
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.InSync);
    expect((await primary.served.runtime.observe()).export?.nodeName).toBe(primary.copy.metadata.nodeNames.mirrorFilter);
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x31 0 4M', 'read -P 0x32 8M 1M', 'read -P 0x33 9M 1M']);
    await qemuIoTls(primary.target, client, ['write -P 0x34 10M 1M']);
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x34 10M 1M']);
  });

  it('when clients keep writing during an incremental resync, the replica still converges to the primary', async () => {
    // Prepare: lose the mirror again, bring it back, and start a writer that never stops by itself
    await loseMirror(0x36);
    await qemuIoTls(primary.target, client, ['write -P 0x37 32M 24M']); // a larger first pass
    mirror = await serveCopy(mirror.copy, reaper, { clientKeys: [replicationKey], port: mirror.target.port });
    const writer = startBackgroundWriter();
    await waitUntil(() => writer.acknowledged() >= 2, 30_000, 'the background writer to get going');
    // Act: passes under load (finalPassMaxBytes 0: pre-passes run until nothing is dirty, at most 3)
    const before = writer.acknowledged();
    const report = await primary.served.runtime.resyncReplica({ mode: 'incremental', maxPasses: 3, finalPassMaxBytes: 0 });
    const during = writer.acknowledged() - before;
    await writer.stop();
    // Assess
    console.log(`incremental resync under load: ${JSON.stringify(report)}; ${during} writer batches acknowledged during it`);
    expect(report.passes.length).toBeGreaterThanOrEqual(2);
    expect(report.passes[0].dirtyBytes).toBeGreaterThanOrEqual(25 * MiB);
    expect(report.passes.at(-1)?.clientsCutOff).toBe(true);
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.InSync);
    await primary.served.runtime.stopMirror();
    expect(await sha256OfFileDirect(mirror.copy.dataPath)).toBe(await sha256OfFileDirect(primary.copy.dataPath));
    await primary.served.runtime.startMirror(
      { address: { type: 'inet', host: '127.0.0.1', port: mirror.target.port }, exportName: mirror.target.exportName, key: replicationKey },
      { reconnectDelaySeconds: 1, sync: 'none' }, // identical files: nothing to copy
    );
  });

  it('when a full resync is asked for after another loss, the whole volume is copied and both files end identical', async () => {
    // Prepare: lose the mirror again, write while stale, bring it back
    await loseMirror(0x35);
    mirror = await serveCopy(mirror.copy, reaper, { clientKeys: [replicationKey], port: mirror.target.port });
    // Act
    const report = await primary.served.runtime.resyncReplica({ mode: 'full' });
    // Assess
    expect(report).toMatchObject({ mode: 'full', clientPauseMs: 0 });
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.InSync);
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x35 20M 1M']);
    await primary.served.runtime.stopMirror();
    expect(await sha256OfFileDirect(mirror.copy.dataPath)).toBe(await sha256OfFileDirect(primary.copy.dataPath));
  });
});
