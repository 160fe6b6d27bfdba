/**
 * A live copy's snapshot uploaded to S3 (the local cloud's MiniStack) through presigned URLs and
 * restored into a new copy file: same sha256, point in time, incremental (only the chunks the
 * parent's dirty bitmap marks are read; every chunk when the bitmap is gone), zero chunks not stored,
 * and the faults of docs/snapshots.md (agent crash mid-upload, expired URL, S3 503, corrupt chunk).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { S3SnapshotObjects } from '../../../adapters/s3-snapshot-objects';
import { CopyQmp } from '../../../agent/copies/copy-qmp';
import { CopyStore } from '../../../agent/copies/copy-store';
import { CorruptChunkError } from '../../../agent/snapshots/snapshot-errors';
import { SnapshotFiller } from '../../../agent/snapshots/snapshot-fill';
import { SnapshotPoint } from '../../../agent/snapshots/snapshot-point';
import { restoreSnapshot } from '../../../agent/snapshots/snapshot-restorer';
import { uploadSnapshot, type UploadReport } from '../../../agent/snapshots/snapshot-uploader';
import { UploadJournal } from '../../../agent/snapshots/upload-journal';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { silentLogger } from '../../../agent/util/logger';
import { chunkKey } from '../../../core/snapshots/chunk';
import { inheritChunks } from '../../../core/snapshots/chunk-ranges';
import { buildManifest, digestsOf, type Manifest } from '../../../core/snapshots/manifest';
import { SnapshotBitmaps, trackingBitmapOf } from '../../../agent/snapshots/dirty-bitmaps';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';
import { TestUrlSource, type TestUrlSourceOptions, localCloudS3, newBucket } from '../helpers/s3-chunk-urls';
import { FaultProxy } from '../helpers/s3-fault-proxy';

jest.setTimeout(180_000);

const CHUNK = 256 * 1024;
const SIZE = 32 * MiB;
const LINEAGE = 'vol-0000000000000000a';
const sha = async (file: string): Promise<string> => createHash('sha256').update(await fs.readFile(file)).digest('hex');

describe('snapshot upload and restore through presigned URLs', () => {
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem;
  let copy: ServedTestCopy;
  let client: TlsClient;
  let s3: S3Client;
  let objects: S3SnapshotObjects;
  let bucket: string;
  let proxy: FaultProxy;
  let q: CopyQmp;
  let serial = 0;

  beforeAll(async () => {
    s3 = await localCloudS3();
    bucket = await newBucket(s3);
    objects = new S3SnapshotObjects(bucket, s3);
    proxy = new FaultProxy(new URL(process.env.AWS_ENDPOINT_URL!));
    await proxy.start();
    fsys = await LoopFilesystem.create();
    const clientKey = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), clientKey);
    copy = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'a') }), reaper, copySpec({ sizeBytes: SIZE }), { clientKeys: [clientKey] });
    // 24 MiB of distinct data, the last 8 MiB left zero
    await qemuIoTls(copy.target, client, ['write -P 0x11 0 8M', 'write -P 0x22 8M 8M', 'write -P 0x33 16M 8M']);
    q = new CopyQmp(copy.copy, copy.served.daemon.qmp, silentLogger, 10_000);
  });

  afterAll(async () => {
    await reaper.stopAll();
    await copy?.copy.release();
    await proxy?.stop();
    await fsys?.destroy();
  });

  const nextSnapshotId = () => `snap-${(++serial).toString(16).padStart(17, '0')}`;

  /**
   * Takes a point (naming the parent, as the control plane does), uploads what its read plan
   * names, releases it, and returns the manifest the control plane would write (finish-snapshot.ts).
   */
  async function snapshot(parent: Manifest | undefined, options: TestUrlSourceOptions, during?: () => Promise<void>): Promise<{ manifest: Manifest; report: UploadReport; before: string; incrementalFrom?: string }> {
    const snapshotId = nextSnapshotId();
    const before = await sha(copy.copy.dataPath);
    const point = await SnapshotPoint.take(q, snapshotId, copy.served.runtime, parent?.snapshotId);
    await during?.();
    const journal = await UploadJournal.open(path.join(fsys.root, `${snapshotId}.journal`));
    const urls = new TestUrlSource(objects, LINEAGE, { ...options, ...(parent ? { held: digestsOf(parent) } : {}) });
    const plan = await point.readPlan(CHUNK);
    const report = await uploadSnapshot({ view: point.readChunks(plan, CHUNK), ranges: plan.ranges, sizeBytes: point.sizeBytes, chunkSizeBytes: CHUNK, journal, urls });
    await point.release();
    const chunks = plan.incrementalFrom && parent ? inheritChunks(report.chunks, plan.ranges, parent.chunks) : report.chunks;
    const manifest = buildManifest({ snapshotId, volumeId: LINEAGE, lineageId: LINEAGE, sizeBytes: SIZE, chunkSizeBytes: CHUNK, chunks, ...(parent ? { parentSnapshotId: parent.snapshotId } : {}) });
    return { manifest, report, before, ...(plan.incrementalFrom ? { incrementalFrom: plan.incrementalFrom } : {}) };
  }

  async function restoreToFile(manifest: Manifest, urls = new TestUrlSource(objects, LINEAGE)): Promise<string> {
    const target = path.join(fsys.root, `restore-${manifest.snapshotId}.raw`);
    await fs.writeFile(target, '');
    await restoreSnapshot(manifest, target, urls);
    return target;
  }

  let full: Manifest;

  it('when writes land after the point, the restored file hashes like the copy at the point, not after it (and zero chunks are not stored)', async () => {
    // When
    const { manifest, report, before } = await snapshot(undefined, {}, () => qemuIoTls(copy.target, client, ['write -P 0x44 4M 1M', 'write -P 0x55 30M 1M']).then(() => undefined));
    full = manifest;
    // Then
    expect(report.zeroChunks).toBe(32);
    expect(manifest.chunks).toHaveLength(96);
    // three distinct patterns: three distinct chunk objects, stored once each
    expect(report.uploadedChunks).toBe(3);
    const restored = await restoreToFile(manifest);
    expect(await sha(restored)).toBe(before);
    // the protection matters: the live file (no copy-before-write view) already holds the later writes
    expect(await sha(copy.copy.dataPath)).not.toBe(before);
  });

  it('when 1 MiB of chunks changed since the parent, only those chunks are uploaded (counted at the proxy)', async () => {
    // Given
    await qemuIoTls(copy.target, client, ['write -P 0x66 12M 1M']);
    proxy.putsPerPath.clear();
    // When
    const { manifest, report, before } = await snapshot(full, { proxy });
    // Then: 0x66 (4 chunks of one pattern → 1 object), plus 0x44 and 0x55 written after the first point
    expect(report.uploadedChunks).toBe(3);
    // only the 12 chunks the parent's bitmap marks (4 MiB, 12 MiB and 30 MiB, 1 MiB each) were read
    expect(report.readChunks).toBe(12);
    expect([...proxy.putsPerPath.values()].reduce((a, b) => a + b, 0)).toBe(3);
    expect(await sha(await restoreToFile(manifest))).toBe(before);
    full = manifest;
  });

  it('when the agent crashes mid-upload, the next run sends none of the chunks already sent, and S3 503s and an expired batch are survived', async () => {
    // Given: 64 distinct chunks (a batch holds 64), so the upload takes two batches
    const writes = Array.from({ length: 80 }, (_, i) => `write -P ${(0x70 + (i % 100)).toString()} ${i * CHUNK} ${CHUNK}`);
    await qemuIoTls(copy.target, client, writes);
    proxy.putsPerPath.clear();
    const snapshotId = `snap-${(++serial).toString(16).padStart(17, '0')}`;
    const before = await sha(copy.copy.dataPath);
    const point = await SnapshotPoint.take(q, snapshotId, copy.served.runtime);
    const journalFile = path.join(fsys.root, `${snapshotId}.journal`);
    const upload = (from: SnapshotPoint, options: TestUrlSourceOptions) =>
      UploadJournal.open(journalFile).then((journal) =>
        uploadSnapshot({ view: from.readView(CHUNK), sizeBytes: SIZE, chunkSizeBytes: CHUNK, journal, urls: new TestUrlSource(objects, LINEAGE, { ...options, held: digestsOf(full) }) }),
      );
    // When: the first run dies asking for its second batch, after its first 64 chunks went up
    await expect(upload(point, { proxy, crashOnCall: 2 })).rejects.toThrow(/crashed/);
    const afterCrash = [...proxy.putsPerPath.values()].reduce((a, b) => a + b, 0);
    // the restarted agent adopts the same point; the batch with the unsent chunks arrives expired and S3 answers 503 three times
    const adopted = await SnapshotPoint.adopt(q, snapshotId, copy.served.runtime);
    proxy.failNext = 3;
    const resumed = await upload(adopted!, { proxy, expireCall: 2 });
    await adopted!.release();
    // Then
    expect(afterCrash).toBe(64);
    expect(resumed.uploadedChunks).toBe(16);
    expect(resumed.renewals).toBeGreaterThan(0);
    expect(resumed.retries).toBe(3);
    expect(Math.max(...proxy.putsPerPath.values())).toBe(1);
    const manifest = buildManifest({ snapshotId, volumeId: LINEAGE, lineageId: LINEAGE, sizeBytes: SIZE, chunkSizeBytes: CHUNK, chunks: resumed.chunks });
    expect(await sha(await restoreToFile(manifest))).toBe(before);
    full = manifest;
  });

  it('when a snapshot names a parent whose bitmap the daemon kept, only the chunks written since are read, writes during the read stay out, and the merged manifest restores to the point', async () => {
    // Given: 2 MiB at 20 MiB (8 chunks) and 4 KiB inside chunk 1, since the last snapshot
    await qemuIoTls(copy.target, client, ['write -P 0x91 20M 2M', 'write -P 0x92 300K 4K']);
    // When: more writes land after the point, while the chunks are read
    const during = () => qemuIoTls(copy.target, client, ['write -P 0x93 1M 256K', 'write -P 0x94 25M 1M']).then(() => undefined);
    const { manifest, report, before, incrementalFrom } = await snapshot(full, {}, during);
    // Then
    expect(incrementalFrom).toBe(full.snapshotId);
    expect(report.readChunks).toBe(9);
    expect(await sha(await restoreToFile(manifest))).toBe(before);
    // the released point keeps only its own bitmap: the next snapshot reads what changed since this one
    expect(await new SnapshotBitmaps(q).names()).toEqual([trackingBitmapOf(manifest.snapshotId)]);
    full = manifest;
  });

  it('when a snapshot after the parent failed and its point was cleared, the next one still reads every chunk written since the parent', async () => {
    // Given: a snapshot of the same parent taken, never uploaded, and cleared as a leftover, with writes before and after it
    await qemuIoTls(copy.target, client, ['write -P 0xa1 2M 256K']);
    await SnapshotPoint.take(q, nextSnapshotId(), copy.served.runtime, full.snapshotId);
    await qemuIoTls(copy.target, client, ['write -P 0xa2 6M 256K']);
    await SnapshotPoint.clear(q, copy.served.runtime);
    await qemuIoTls(copy.target, client, ['write -P 0xa3 10M 256K']);
    // When
    const { manifest, report, before, incrementalFrom } = await snapshot(full, {});
    // Then: the chunks written since the parent's point, and only those: these three, and the five the test above wrote during its read
    expect(incrementalFrom).toBe(full.snapshotId);
    expect(report.readChunks).toBe(3 + 5);
    expect(await sha(await restoreToFile(manifest))).toBe(before);
    full = manifest;
  });

  it('when the daemon no longer holds the parent\'s bitmap (a restart, a promoted mirror), every chunk is read', async () => {
    // Given: the bitmap gone, as after a daemon restart
    await q.exec('block-dirty-bitmap-remove', { node: q.names.format, name: trackingBitmapOf(full.snapshotId) });
    await qemuIoTls(copy.target, client, ['write -P 0xb1 3M 256K']);
    // When
    const { manifest, report, before, incrementalFrom } = await snapshot(full, {});
    // Then
    expect(incrementalFrom).toBeUndefined();
    expect(report.readChunks).toBe(SIZE / CHUNK);
    expect(await sha(await restoreToFile(manifest))).toBe(before);
  });

  /** A new copy created with a fill from `manifest` (POST /volumes with snapshotId; copy-store.ts writes its metadata only after the fill). */
  async function filledCopy(manifest: Manifest, store: CopyStore) {
    await objects.putManifest(manifest);
    const filler = new SnapshotFiller({ urlsFor: () => new TestUrlSource(objects, LINEAGE, { snapshotId: manifest.snapshotId }) });
    const spec = copySpec({ sizeBytes: SIZE });
    return store.create(spec, (dataPath) => filler.fill({ snapshotId: manifest.snapshotId, volumeId: spec.volumeId, copyId: spec.copyId }, dataPath, SIZE));
  }

  it('when a new copy is filled from a snapshot, its file hashes like the snapshot\'s image before it exists as a copy', async () => {
    // Given
    const expected = await sha(await restoreToFile(full));
    const store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'filled') });
    // When
    const filled = await filledCopy(full, store);
    // Then
    expect(await sha(filled.dataPath)).toBe(expected);
    expect((await store.list()).map((metadata) => metadata.copyId)).toEqual([filled.copyId]);
    await filled.destroy();
  });

  it('when a stored chunk is corrupt, the restore fails naming the chunk', async () => {
    // Given
    const victim = full.chunks[5];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: chunkKey(LINEAGE, victim.digest), Body: Buffer.alloc(CHUNK, 0x99) }));
    // When
    const attempt = restoreToFile(full);
    // Then
    await expect(attempt).rejects.toBeInstanceOf(CorruptChunkError);
    await expect(restoreToFile(full)).rejects.toThrow(new RegExp(`chunk \\d+ \\(${victim.digest}\\) is corrupt`));
  });

  it('when a new copy\'s fill meets a corrupt chunk, the creation fails naming it and leaves no copy behind', async () => {
    // Given chunk 5 of the full snapshot was overwritten by the test above
    const store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'refused') });
    // When
    const attempt = filledCopy(full, store);
    // Then
    await expect(attempt).rejects.toThrow(/chunk \d+ \([0-9a-f]{64}\) is corrupt/);
    expect(await store.list()).toEqual([]);
    expect(await fs.readdir(path.join(fsys.mountPoint, 'refused'))).toEqual([]);
  });
});
