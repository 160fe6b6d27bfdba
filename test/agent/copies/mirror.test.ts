/**
 * Primary → mirror replication with a write-blocking blockdev-mirror over NBD with TLS-PSK,
 * each copy in its own daemon on a real loop-device filesystem.
 */
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { ReplicaStatus } from '../../../agent/copies/replica-status';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { measureSerialWriteRate } from '../helpers/io-rate';
import { TlsClient, makeTlsClient, qemuIoFile, qemuIoTls, sha256OfFileDirect } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

describe('write-blocking mirror from a primary copy to a mirror copy', () => {
  const reaper = new DaemonReaper();
  const replicationKey = generatePskKey('replication');
  let fsys: LoopFilesystem;
  let primary: ServedTestCopy;
  let mirror: ServedTestCopy;
  let client: TlsClient;
  let statuses: string[];

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    const storeA = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-a') });
    const storeB = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'host-b') });
    const spec = copySpec({ sizeBytes: 64 * MiB });
    const clientKey = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), clientKey);
    // the primary's export exists BEFORE the mirror starts: QEMU re-parents it onto the job's filter
    primary = await createAndServe(storeA, reaper, spec, { clientKeys: [clientKey] });
    mirror = await createAndServe(storeB, reaper, { ...spec, copyId: `${spec.copyId}-m`, role: CopyRole.Mirror }, { clientKeys: [replicationKey] });
    await qemuIoTls(primary.target, client, ['write -P 0x11 0 8M']);
    statuses = [];
    primary.served.runtime.on('replica-status', (change) => statuses.push(change.to));
  });

  afterAll(async () => {
    await reaper.stopAll();
    await primary?.copy.release();
    await mirror?.copy.release();
    await fsys?.destroy();
  });

  it('when the mirror starts with sync full, it reaches in-sync and the mirror file holds the data written before', async () => {
    // Prepare: the daemon's events while the mirror starts
    const events: string[] = [];
    const record = (event: { event: string; data?: Record<string, unknown> }) => {
      if (event.event === 'BLOCK_EXPORT_DELETED' || (event.event === 'JOB_STATUS_CHANGE' && event.data?.id === primary.copy.metadata.nodeNames.mirrorJob)) {
        events.push(event.event === 'JOB_STATUS_CHANGE' ? `job ${String(event.data?.status)}` : 'export deleted');
      }
    };
    primary.served.daemon.qmp.on('event', record);
    // Act
    await primary.served.runtime.startMirror({
      address: { type: 'inet', host: mirror.target.host, port: mirror.target.port },
      exportName: mirror.target.exportName,
      key: replicationKey,
    });
    // Assess
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.InSync);
    expect(statuses).toEqual([ReplicaStatus.Syncing, ReplicaStatus.InSync]);
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x11 0 8M']);
    const observed = await primary.served.runtime.observe();
    expect(observed.export?.nodeName).toBe(primary.copy.metadata.nodeNames.mirrorFilter);
    expect(observed.job).toMatchObject({ status: 'ready' });
    // No client was connected while blockdev-mirror set the job up (docs/replication-safety.md,
    // "The mirror start window"): the export went before the job was created and came back after.
    primary.served.daemon.qmp.off('event', record);
    expect(events.slice(0, 2)).toEqual(['export deleted', 'job created']);
  });

  it('when a write is acknowledged through the primary export, it is on the mirror file at once', async () => {
    for (let round = 1; round <= 8; round++) {
      // Act: one acknowledged write (qemu-io exits only after the reply)
      const offset = `${round * 3}M`;
      await qemuIoTls(primary.target, client, [`write -P ${round + 0x20} ${offset} 64k`]);
      // Assess: read immediately from the mirror's file, bypassing the page cache
      await qemuIoFile(mirror.copy.dataPath, [`read -P ${round + 0x20} ${offset} 64k`]);
    }
    // and a burst of 200 small writes in one connection, every one present afterwards
    const offsets = Array.from({ length: 200 }, (_, index) => 32 * MiB + index * 8192);
    await qemuIoTls(primary.target, client, offsets.map((offset, index) => `write -q -P ${(index % 200) + 1} ${offset} 4k`));
    await qemuIoFile(mirror.copy.dataPath, offsets.map((offset, index) => `read -q -P ${(index % 200) + 1} ${offset} 4k`));
  });

  it('when the export is re-added while the mirror runs, it goes on the filter node and writes stay synchronous', async () => {
    // Act: the trial's pitfall: an export added on the volume node after the job started is only dirty-tracked
    await primary.served.runtime.removeExport();
    await primary.served.runtime.addExport();
    await qemuIoTls(primary.target, client, ['write -P 0x77 48M 1M']);
    // Assess
    expect((await primary.served.runtime.observe()).export?.nodeName).toBe(primary.copy.metadata.nodeNames.mirrorFilter);
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x77 48M 1M']);
  });

  it('when writes go through a write-blocking mirror, their latency is measured (QD1, 4 KiB, TLS, loopback TCP)', async () => {
    // Act
    const mirrored = await measureSerialWriteRate(primary.target, client, 1000);
    // Assess: recorded for the report; the only hard claim is that writes complete
    console.log(`write-blocking mirror, QD1 4k over TLS: ${mirrored.iops.toFixed(0)} IOPS, mean ${mirrored.meanLatencyMicros.toFixed(0)} µs`);
    expect(mirrored.iops).toBeGreaterThan(0);
  });

  it('when the mirror is stopped, the replica is detached and both files are identical', async () => {
    // Act
    await primary.served.runtime.stopMirror();
    // Assess
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
    expect(statuses.slice(-2)).toEqual([ReplicaStatus.Stopping, ReplicaStatus.Detached]);
    expect((await primary.served.runtime.observe()).export?.nodeName).toBe(primary.copy.metadata.nodeNames.root);
    expect(await sha256OfFileDirect(mirror.copy.dataPath)).toBe(await sha256OfFileDirect(primary.copy.dataPath));
    const unmirrored = await measureSerialWriteRate(primary.target, client, 1000);
    console.log(`no mirror, QD1 4k over TLS: ${unmirrored.iops.toFixed(0)} IOPS, mean ${unmirrored.meanLatencyMicros.toFixed(0)} µs`);
  });

  it('when the primary is fenced while its mirror is in sync, the mirror gets a final sync and the primary turns read-only', async () => {
    // Prepare
    await primary.served.runtime.startMirror(
      { address: { type: 'inet', host: mirror.target.host, port: mirror.target.port }, exportName: mirror.target.exportName, key: replicationKey },
      { sync: 'none' }, // the files are identical after the previous test
    );
    await qemuIoTls(primary.target, client, ['write -P 0x66 40M 1M']);
    // Act
    await primary.served.runtime.fence();
    // Assess
    expect(primary.served.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
    expect(await primary.served.runtime.observe()).toMatchObject({ rootReadOnly: true, export: undefined, job: undefined });
    await qemuIoFile(mirror.copy.dataPath, ['read -P 0x66 40M 1M']);
    expect(await sha256OfFileDirect(mirror.copy.dataPath)).toBe(await sha256OfFileDirect(primary.copy.dataPath));
  });
});
