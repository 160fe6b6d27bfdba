/**
 * The point-in-time view of a live copy (agent/snapshots/snapshot-point.ts) on a real
 * qemu-storage-daemon: writes after the point are on the copy and not in the view, also while
 * the write-blocking mirror runs; releasing the point restores the plain graph.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CopyQmp } from '../../../agent/copies/copy-qmp';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { SnapshotPoint } from '../../../agent/snapshots/snapshot-point';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { silentLogger } from '../../../agent/util/logger';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(120_000);

const sha = async (file: string): Promise<string> => createHash('sha256').update(await fs.readFile(file)).digest('hex');

/** The view read the way the uploader reads it (its NBD export, nbdcopy), all of it. */
const viewSha = async (point: SnapshotPoint): Promise<string> => {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of point.readView(MiB)) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  expect(bytes).toBe(point.sizeBytes);
  return hash.digest('hex');
};

describe('snapshot point (copy-before-write + snapshot-access, NBD view)', () => {
  const reaper = new DaemonReaper();
  const replicationKey = generatePskKey('replication');
  let fsys: LoopFilesystem;
  let primary: ServedTestCopy;
  let mirror: ServedTestCopy;
  let client: TlsClient;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    const spec = copySpec({ sizeBytes: 16 * MiB });
    const clientKey = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), clientKey);
    primary = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'a') }), reaper, spec, { clientKeys: [clientKey] });
    mirror = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'b') }), reaper, { ...spec, copyId: `${spec.copyId}-m`, role: CopyRole.Mirror }, { clientKeys: [replicationKey] });
    await qemuIoTls(primary.target, client, ['write -P 0x11 0 16M']);
    await primary.served.runtime.startMirror({ address: { type: 'inet', host: mirror.target.host, port: mirror.target.port }, exportName: mirror.target.exportName, key: replicationKey });
  });

  afterAll(async () => {
    await reaper.stopAll();
    await primary?.copy.release();
    await mirror?.copy.release();
    await fsys?.destroy();
  });

  const qmpOf = (copy: ServedTestCopy) => new CopyQmp(copy.copy, copy.served.daemon.qmp, silentLogger, 10_000);

  it('when writes land after the point while the mirror runs, the view keeps the old data and both copies get the new', async () => {
    // Given
    const q = qmpOf(primary);
    const before = await sha(primary.copy.dataPath);
    // When
    const point = await SnapshotPoint.take(q, 'snap-00000000000000001', primary.served.runtime);
    await qemuIoTls(primary.target, client, ['write -P 0x22 1M 2M', 'write -P 0x33 15M 1M']);
    // Then
    expect(await viewSha(point)).toBe(before);
    await point.release();
    expect(await sha(primary.copy.dataPath)).toBe(await sha(mirror.copy.dataPath));
    expect(await sha(primary.copy.dataPath)).not.toBe(before);
    expect(await q.nodeExists(`${primary.copy.metadata.nodeNames.root}-cbw`)).toBe(false);
    await qemuIoTls(primary.target, client, ['read -P 0x22 1M 2M']);
  });

  it('when the point is taken on the mirror copy (no job there), it holds the mirror as it was while the primary keeps replicating', async () => {
    const q = qmpOf(mirror);
    const before = await sha(mirror.copy.dataPath);
    const point = await SnapshotPoint.take(q, 'snap-00000000000000009', mirror.served.runtime);
    await qemuIoTls(primary.target, client, ['write -P 0x22 1M 2M', 'write -P 0x33 15M 1M']);
    expect(await viewSha(point)).toBe(before);
    await point.release();
  });

  it('when the agent loses the point object (a restart), it adopts the one in place and reads the same instant', async () => {
    // Given
    const q = qmpOf(primary);
    const before = await sha(primary.copy.dataPath);
    await SnapshotPoint.take(q, 'snap-00000000000000002', primary.served.runtime);
    await qemuIoTls(primary.target, client, ['write -P 0x44 0 4M']);
    // When
    const adopted = await SnapshotPoint.adopt(qmpOf(primary), 'snap-00000000000000002', primary.served.runtime);
    // Then
    expect(adopted).toBeDefined();
    expect(await viewSha(adopted!)).toBe(before);
    expect(await SnapshotPoint.adopt(q, 'snap-0000000000000000f', primary.served.runtime)).toBeUndefined();
    await adopted!.release();
  });

  it('when a point is in place, a second one is refused', async () => {
    const q = qmpOf(primary);
    const point = await SnapshotPoint.take(q, 'snap-00000000000000003', primary.served.runtime);
    await expect(SnapshotPoint.take(q, 'snap-00000000000000004', primary.served.runtime)).rejects.toThrow(/already has a snapshot point/);
    await point.release();
  });
});
