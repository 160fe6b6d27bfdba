/**
 * Snapshot upload, view read and restore against plain transfers of the same bytes, measured in the same
 * run (bench/snapshots/README.md): for each chunk size, a full snapshot of a copy served by its
 * own qemu-storage-daemon against `PutObject` of the bytes it uploaded, a 1 % incremental one
 * against `PutObject` of the changed chunks, the read of a snapshot point's view alone (over TCP
 * and over a unix socket) and of the copy's own export against the same reader on
 * `qemu-nbd --read-only`, and a restore against `nbdcopy` from `qemu-nbd --read-only`. The
 * agent's own point, view reader and transfer code and the real S3 adapter's presigned URLs, on
 * the local cloud's S3.
 *
 *   npx tsx bench/snapshots/run.ts [--chunk-kib 1024,512,2048,4096] [--data-mib 256] [--json FILE]
 */
import { DeleteBucketCommand, DeleteObjectsCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { S3SnapshotObjects } from '../../adapters/s3-snapshot-objects';
import { CopyQmp } from '../../agent/copies/copy-qmp';
import { CopyStore } from '../../agent/copies/copy-store';
import { SnapshotPoint, viewReadCommand, type ReadPlan } from '../../agent/snapshots/snapshot-point';
import { restoreSnapshot } from '../../agent/snapshots/snapshot-restorer';
import { uploadSnapshot, type UploadReport } from '../../agent/snapshots/snapshot-uploader';
import { readViewChunks } from '../../agent/snapshots/snapshot-view-reader';
import { UploadJournal } from '../../agent/snapshots/upload-journal';
import { generatePskKey } from '../../agent/tls/psk-keys-file';
import { silentLogger } from '../../agent/util/logger';
import { runCommand } from '../../agent/util/run-command';
import { inheritChunks } from '../../core/snapshots/chunk-ranges';
import { buildManifest, digestsOf, type Manifest } from '../../core/snapshots/manifest';
import { copySpec, serveCopy } from '../../test/agent/helpers/copy-fixture';
import { DaemonReaper } from '../../test/agent/helpers/daemon-reaper';
import { makeTlsClient, nbdsUri, qemuIoTls } from '../../test/agent/helpers/nbd-clients';
import { TestUrlSource, localCloudS3, newBucket } from '../../test/agent/helpers/s3-chunk-urls';

const IMAGE_BYTES = 1024 ** 3;
const CONCURRENCY = 4;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Step {
  readonly chunkKiB: number;
  readonly step: 'full' | 'incremental' | 'export read tcp' | 'view read tcp' | 'view read unix' | 'restore';
  readonly seconds: number;
  readonly baselineSeconds: number;
  /**
   * Full upload: one `sha256sum` read of the whole image plus the baseline. Incremental (only the chunks the parent's
   * dirty bitmap marks are read): the baseline. Reads: the same bytes read from the file in-process. Restores: the baseline.
   */
  readonly floorSeconds: number;
  readonly bytes: number;
  /** Chunks read from the view (uploads). */
  readonly readChunks?: number;
}

const seconds = (startedNs: bigint) => Number(process.hrtime.bigint() - startedNs) / 1e9;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: seconds(started) };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const part of createReadStream(file)) hash.update(part as Buffer);
  return hash.digest('hex');
}

/** The image in order, one chunk at a time, read from its file (the floor of a view read). */
async function* fileChunks(image: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const file = await fs.open(image, 'r');
  try {
    for (let offset = 0; offset < IMAGE_BYTES; offset += chunkBytes) {
      const buffer = Buffer.alloc(Math.min(chunkBytes, IMAGE_BYTES - offset));
      await file.read(buffer, 0, buffer.length, offset);
      yield buffer;
    }
  } finally {
    await file.close();
  }
}

/** Reads the chunks at `indexes` (each `chunkBytes` long) into memory, so the baseline's clock holds no reads. */
async function readChunks(image: string, indexes: readonly number[], chunkBytes: number): Promise<Buffer[]> {
  const file = await fs.open(image, 'r');
  try {
    return await Promise.all(
      indexes.map(async (index) => {
        const buffer = Buffer.alloc(chunkBytes);
        await file.read(buffer, 0, chunkBytes, index * chunkBytes);
        return buffer;
      }),
    );
  } finally {
    await file.close();
  }
}

/**
 * `PutObject` of the chunks at `indexes`, CONCURRENCY at a time, no hashing: the plain upload the snapshot is compared
 * with. Timed after the chunks are read; they are let go when it returns, so the later steps do not run beside them.
 */
async function timedPutAll(s3: S3Client, bucket: string, prefix: string, image: string, indexes: readonly number[], chunkBytes: number): Promise<{ seconds: number }> {
  const bodies = await readChunks(image, indexes, chunkBytes);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${index}`, Body: bodies[index] }));
    }
  };
  return timed(() => Promise.all(Array.from({ length: CONCURRENCY }, worker)));
}

/** Distinct uploaded chunks: one index per digest this run PUT (the first chunk holding it). */
function uploadedIndexes(report: UploadReport, held: ReadonlySet<string>): number[] {
  const seen = new Set<string>(held);
  const indexes: number[] = [];
  for (const chunk of report.chunks) {
    if (seen.has(chunk.digest)) continue;
    seen.add(chunk.digest);
    indexes.push(chunk.index);
  }
  return indexes;
}

/** Every chunk of `chunks`, dropped as it comes: the read alone. */
async function drain(chunks: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of chunks) bytes += chunk.length;
  return bytes;
}

/** `qemu-nbd --read-only` of `image` (plain NBD, no TLS) on a unix socket while `use` runs; ended by its PID. */
async function withQemuNbd<T>(imageArgs: readonly string[], work: string, use: (uri: string) => Promise<T>): Promise<T> {
  const socket = path.join(work, 'baseline.sock');
  const server = spawn('qemu-nbd', ['--read-only', '--persistent', `--socket=${socket}`, ...imageArgs], { stdio: 'ignore' });
  const exited = new Promise((resolve) => server.once('close', resolve));
  try {
    for (let waited = 0; !(await fs.stat(socket).catch(() => undefined)); waited += 50) {
      if (waited > 10_000 || server.exitCode !== null) throw new Error('qemu-nbd did not open its socket');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await use(`nbd+unix:///?socket=${socket}`);
  } finally {
    if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGTERM');
    await exited;
  }
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

async function benchChunkSize(s3: S3Client, bucket: string, work: string, reaper: DaemonReaper, chunkKiB: number, dataMiB: number): Promise<Step[]> {
  const chunkBytes = chunkKiB * KiB;
  const objects = new S3SnapshotObjects(bucket, s3);
  const lineage = `vol-${'0'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`;
  // The image is a copy's data file (preallocated as the agent makes it), random from offset 0, the rest zero
  const writeData = async (dataPath: string) => {
    const file = await fs.open(dataPath, 'r+');
    try {
      for (let offset = 0; offset < dataMiB * MiB; offset += 16 * MiB) await file.write(randomBytes(Math.min(16 * MiB, dataMiB * MiB - offset)), 0, undefined, offset);
      await file.sync();
    } finally {
      await file.close();
    }
  };
  const dataDir = path.join(work, `copies-${chunkKiB}`);
  const copy = await new CopyStore({ dataDir }).create(copySpec({ sizeBytes: IMAGE_BYTES }), writeData);
  const image = copy.dataPath;
  try {
    // Served as the agent serves it: its own daemon, the TLS-PSK NBD server on a free 127.0.0.1 port, the export
    const clientKey = generatePskKey('tenant');
    const client = await makeTlsClient(path.join(work, `client-${chunkKiB}`), clientKey);
    const served = await serveCopy(copy, reaper, { clientKeys: [clientKey] });
    const { runtime } = served.served;
    const q = new CopyQmp(copy, served.served.daemon.qmp, silentLogger, 10_000);
    /** As the agent does it: take the point, use its view, release the point. */
    const atPoint = async <T>(snapshotId: string, use: (point: SnapshotPoint) => Promise<T>, parentSnapshotId?: string): Promise<T> => {
      const point = await SnapshotPoint.take(q, snapshotId, runtime, parentSnapshotId);
      try {
        return await use(point);
      } finally {
        await point.release();
      }
    };
    /** The point's read plan (every chunk, or those its parent's dirty bitmap marks) uploaded, as the snapshot controller does. */
    const upload = (snapshotId: string, held: ReadonlySet<string>, parentSnapshotId?: string) =>
      UploadJournal.open(path.join(work, `${snapshotId}.journal`)).then((journal) =>
        atPoint(
          snapshotId,
          async (point) => {
            const plan = await point.readPlan(chunkBytes);
            const report = await uploadSnapshot({
              view: point.readChunks(plan, chunkBytes), ranges: plan.ranges, sizeBytes: IMAGE_BYTES, chunkSizeBytes: chunkBytes, journal, urls: new TestUrlSource(objects, lineage, { held }), concurrency: CONCURRENCY,
            });
            return { report, plan };
          },
          parentSnapshotId,
        ),
      );
    /** The manifest the control plane writes (finish-snapshot.ts): after an incremental read, the parent's entries outside the runs read. */
    const manifestOf = (snapshotId: string, { report, plan }: { report: UploadReport; plan: ReadPlan }, parent?: Manifest) =>
      buildManifest({
        snapshotId, volumeId: lineage, lineageId: lineage, sizeBytes: IMAGE_BYTES, chunkSizeBytes: chunkBytes,
        chunks: plan.incrementalFrom && parent ? inheritChunks(report.chunks, plan.ranges, parent.chunks) : report.chunks,
        ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
      });

    // Every timed read starts with the image's page cache dropped: buffered reads (sha256sum, the file read) leave the
    // part never written (preallocated, unwritten) cached as zero pages, which SEEK_DATA then reports as data, QEMU's
    // block status with it, and nbdcopy would read it instead of skipping it as it does on a host
    const cold = async <T>(measured: () => Promise<T>) => {
      await runCommand('dd', [`if=${image}`, 'iflag=nocache', 'count=0', 'status=none']);
      return timed(measured);
    };

    // The read every snapshot makes (docs/snapshots.md, "Incremental"), with a public tool
    const read = await cold(() => runCommand('sha256sum', [image], { timeoutMs: 600_000 }));

    // Full
    const full = await cold(() => upload(`snap-full${chunkKiB}`, new Set()));
    const fullManifest = manifestOf(`snap-${'f'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`, full.value);
    const fullBaseline = await timedPutAll(s3, bucket, `baseline-full-${chunkKiB}`, image, uploadedIndexes(full.value.report, new Set()), chunkBytes);

    // Incremental: a client writes 4 KiB of new bytes through the export at the start of 1 % of the chunks that hold data
    const dataChunks = Math.ceil((dataMiB * MiB) / chunkBytes);
    const changed = Array.from({ length: Math.max(1, Math.round(IMAGE_BYTES / chunkBytes / 100)) }, (_, i) => (i * 97) % dataChunks);
    await qemuIoTls(served.target, client, [...new Set(changed)].map((index) => `write -P 0x5a ${index * chunkBytes} 4k`));
    const held = digestsOf(fullManifest);
    const incremental = await cold(() => upload(`snap-incr${chunkKiB}`, held, `snap-full${chunkKiB}`));
    if (!incremental.value.plan.incrementalFrom) throw new Error(`chunk ${chunkKiB} KiB: the second snapshot read every chunk; the parent's dirty bitmap was not used`);
    const incrementalManifest = manifestOf(`snap-${'e'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`, incremental.value, fullManifest);
    const incrementalBaseline = await timedPutAll(s3, bucket, `baseline-incremental-${chunkKiB}`, image, uploadedIndexes(incremental.value.report, held), chunkBytes);

    // The view's read alone. Floor: the file read in-process. Baseline: the same reader and nbdcopy command on a plain
    // NBD export of the same file (O_DIRECT and native AIO as the copy's daemon opens it; no TLS, no filter, unix socket;
    // no lock, the daemon holds the file). Between them, the copy's own export (its daemon, TLS-PSK, TCP; no filter).
    const fileRead = await cold(() => drain(fileChunks(image, chunkBytes)));
    const plainImage = ['--image-opts', `driver=raw,cache.direct=on,file.driver=file,file.filename=${image},file.aio=native,file.locking=off`];
    const viewBaseline = await withQemuNbd(plainImage, work, (uri) => cold(() => drain(readViewChunks(viewReadCommand(uri), IMAGE_BYTES, chunkBytes))));
    const exportRead = await cold(() => drain(readViewChunks(viewReadCommand(nbdsUri(served.target, client)), IMAGE_BYTES, chunkBytes)));
    const viewTcp = await atPoint(`snap-viewt${chunkKiB}`, (point) => cold(() => drain(point.readView(chunkBytes))));
    await runtime.stopNbdServer();
    await runtime.startNbdServer({ listen: { type: 'unix', path: path.join(work, `view-${chunkKiB}.sock`) }, clientKeys: [clientKey], maxConnections: 16 });
    const viewUnix = await atPoint(`snap-viewu${chunkKiB}`, (point) => cold(() => drain(point.readView(chunkBytes))));
    await reaper.stopAll();

    // Restore
    const restored = path.join(work, `restored-${chunkKiB}.raw`);
    await fs.writeFile(restored, '');
    const restore = await timed(() => restoreSnapshot(incrementalManifest, restored, new TestUrlSource(objects, lineage), { concurrency: CONCURRENCY }));
    const baselineTarget = path.join(work, `baseline-${chunkKiB}.raw`);
    await fs.writeFile(baselineTarget, '');
    await fs.truncate(baselineTarget, IMAGE_BYTES);
    const restoreBaseline = await withQemuNbd(['--format=raw', image], work, (uri) => cold(() => runCommand('nbdcopy', [uri, baselineTarget], { timeoutMs: 600_000 })));
    const [source, copied] = await Promise.all([sha256(image), sha256(restored)]);
    if (source !== copied) throw new Error(`chunk ${chunkKiB} KiB: the restored image differs from the source (${copied} vs ${source})`);
    await Promise.all([restored, baselineTarget].map((name) => fs.rm(name, { force: true })));

    const readStep = (step: Step['step'], view: { value: number; seconds: number }): Step => ({
      chunkKiB, step, seconds: view.seconds, baselineSeconds: viewBaseline.seconds, floorSeconds: fileRead.seconds, bytes: view.value,
    });
    return [
      { chunkKiB, step: 'full', seconds: full.seconds, baselineSeconds: fullBaseline.seconds, floorSeconds: read.seconds + fullBaseline.seconds, bytes: full.value.report.uploadedBytes, readChunks: full.value.report.readChunks },
      // the floor of an incremental one is the plain PUT of its bytes: it reads only the chunks the parent's bitmap marks
      { chunkKiB, step: 'incremental', seconds: incremental.seconds, baselineSeconds: incrementalBaseline.seconds, floorSeconds: incrementalBaseline.seconds, bytes: incremental.value.report.uploadedBytes, readChunks: incremental.value.report.readChunks },
      readStep('export read tcp', exportRead),
      readStep('view read tcp', viewTcp),
      readStep('view read unix', viewUnix),
      { chunkKiB, step: 'restore', seconds: restore.seconds, baselineSeconds: restoreBaseline.seconds, floorSeconds: restoreBaseline.seconds, bytes: restore.value.writtenBytes },
    ];
  } finally {
    await reaper.stopAll();
    await copy.release();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

function table(steps: readonly Step[]): string {
  const rows = [
    ['chunk', 'step', 'bytes moved', 'chunks read', 'snapshot s', 'baseline s', 'ratio', 'floor s', 'ratio to floor'],
    ...steps.map((s) => [
      `${s.chunkKiB} KiB`, s.step, `${(s.bytes / MiB).toFixed(1)} MiB`, s.readChunks === undefined ? '' : String(s.readChunks), s.seconds.toFixed(2), s.baselineSeconds.toFixed(2), (s.seconds / s.baselineSeconds).toFixed(2),
      s.floorSeconds.toFixed(2), (s.seconds / s.floorSeconds).toFixed(2),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'chunk-kib': { type: 'string', default: '1024,512,2048,4096' }, 'data-mib': { type: 'string', default: '256' }, json: { type: 'string' } } });
  const chunkSizes = values['chunk-kib'].split(',').map(Number);
  const dataMiB = Number(values['data-mib']);
  if (chunkSizes.some((size) => !Number.isInteger(size) || size < 4 || size > 16 * KiB) || !Number.isInteger(dataMiB) || dataMiB < 1 || dataMiB > 1024) {
    throw new Error('--chunk-kib takes whole numbers from 4 to 16384, --data-mib a whole number from 1 to 1024');
  }
  // The local cloud is started if it does not run, and then stopped again at the end (local/cloud.sh stops its recorded PID)
  const cloudWasRunning = await runCommand('bash', ['local/cloud.sh', 'status']).then(() => true, () => false);
  const s3 = await localCloudS3();
  const bucket = await newBucket(s3);
  const work = await fs.mkdtemp(path.join(tmpdir(), 'bench-snapshots-'));
  const reaper = new DaemonReaper();
  const steps: Step[] = [];
  try {
    for (const chunkKiB of chunkSizes) {
      process.stderr.write(`chunk ${chunkKiB} KiB: full, incremental, view reads, restore of a 1 GiB copy with ${dataMiB} MiB of data…\n`);
      steps.push(...(await benchChunkSize(s3, bucket, work, reaper, chunkKiB, dataMiB)));
    }
  } finally {
    await reaper.stopAll();
    await fs.rm(work, { recursive: true, force: true });
    await emptyBucket(s3, bucket);
    if (!cloudWasRunning) await runCommand('bash', ['local/cloud.sh', 'stop'], { timeoutMs: 60_000 });
  }
  process.stdout.write(
    `${table(steps)}\nratio = snapshot / baseline (> 1: slower than the baseline). floor: full upload, sha256sum of the whole image + the baseline ` +
      '(what any snapshot without a dirty bitmap must do); incremental, the baseline (only the chunks the bitmap marks are read); reads, the file read in-process (baseline: the same reader on qemu-nbd, ' +
      'no TLS, unix socket; export read: the copy\'s own export, no snapshot point); restores, the baseline itself\n',
  );
  if (values.json) await fs.writeFile(values.json, JSON.stringify(steps, null, 2));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
