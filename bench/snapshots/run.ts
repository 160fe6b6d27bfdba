/**
 * Snapshot upload and restore against plain transfers of the same bytes, measured in the same
 * run (bench/snapshots/README.md): for each chunk size, a full snapshot of an image against
 * `PutObject` of the bytes it uploaded, a 1 % incremental one against `PutObject` of the changed
 * chunks, and a restore against `nbdcopy` from `qemu-nbd --read-only`. The agent's own transfer
 * code and the real S3 adapter's presigned URLs, on the local cloud's S3.
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
import { restoreSnapshot } from '../../agent/snapshots/snapshot-restorer';
import { uploadSnapshot, type UploadReport } from '../../agent/snapshots/snapshot-uploader';
import { UploadJournal } from '../../agent/snapshots/upload-journal';
import { runCommand } from '../../agent/util/run-command';
import { buildManifest, digestsOf, type Manifest } from '../../core/snapshots/manifest';
import { TestUrlSource, localCloudS3, newBucket } from '../../test/agent/helpers/s3-chunk-urls';

const IMAGE_BYTES = 1024 ** 3;
const CONCURRENCY = 4;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Step {
  readonly chunkKiB: number;
  readonly step: 'full' | 'incremental' | 'restore';
  readonly seconds: number;
  readonly baselineSeconds: number;
  /** The floor of a snapshot without a dirty bitmap: one `sha256sum` read of the whole image, plus the baseline. */
  readonly floorSeconds: number;
  readonly bytes: number;
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

/** The image in order, one chunk at a time, as the uploader takes a snapshot point's view. */
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

/** `PutObject` of each buffer, CONCURRENCY at a time, no hashing: the plain upload the snapshot is compared with. */
async function putAll(s3: S3Client, bucket: string, prefix: string, bodies: readonly Buffer[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${index}`, Body: bodies[index] }));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
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

async function nbdcopyFromQemuNbd(image: string, target: string, work: string): Promise<void> {
  const socket = path.join(work, 'baseline.sock');
  const server = spawn('qemu-nbd', ['--read-only', '--persistent', '--format=raw', `--socket=${socket}`, image], { stdio: 'ignore' });
  try {
    for (let waited = 0; !(await fs.stat(socket).catch(() => undefined)); waited += 50) {
      if (waited > 10_000) throw new Error('qemu-nbd did not open its socket');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await runCommand('nbdcopy', [`nbd+unix:///?socket=${socket}`, target], { timeoutMs: 600_000 });
  } finally {
    server.kill('SIGTERM');
  }
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

async function benchChunkSize(s3: S3Client, bucket: string, work: string, chunkKiB: number, dataMiB: number): Promise<Step[]> {
  const chunkBytes = chunkKiB * KiB;
  const objects = new S3SnapshotObjects(bucket, s3);
  const lineage = `vol-${'0'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`;
  const image = path.join(work, `image-${chunkKiB}.raw`);
  await fs.writeFile(image, '');
  await fs.truncate(image, IMAGE_BYTES);
  const file = await fs.open(image, 'r+');
  for (let offset = 0; offset < dataMiB * MiB; offset += 16 * MiB) await file.write(randomBytes(Math.min(16 * MiB, dataMiB * MiB - offset)), 0, undefined, offset);
  await file.close();

  const upload = (snapshotId: string, held: ReadonlySet<string>) =>
    UploadJournal.open(path.join(work, `${snapshotId}.journal`)).then((journal) =>
      uploadSnapshot({ view: fileChunks(image, chunkBytes), sizeBytes: IMAGE_BYTES, chunkSizeBytes: chunkBytes, journal, urls: new TestUrlSource(objects, lineage, { held }), concurrency: CONCURRENCY }),
    );
  const manifestOf = (snapshotId: string, report: UploadReport, parent?: Manifest) =>
    buildManifest({ snapshotId, volumeId: lineage, lineageId: lineage, sizeBytes: IMAGE_BYTES, chunkSizeBytes: chunkBytes, chunks: report.chunks, ...(parent ? { parentSnapshotId: parent.snapshotId } : {}) });

  // The read every snapshot makes (docs/snapshots.md, "Incremental"), with a public tool
  const read = await timed(() => runCommand('sha256sum', [image], { timeoutMs: 600_000 }));

  // Full
  const full = await timed(() => upload(`snap-full${chunkKiB}`, new Set()));
  const fullManifest = manifestOf(`snap-${'f'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`, full.value);
  const fullBodies = await readChunks(image, uploadedIndexes(full.value, new Set()), chunkBytes);
  const fullBaseline = await timed(() => putAll(s3, bucket, `baseline-full-${chunkKiB}`, fullBodies));

  // Incremental: 4 KiB of new bytes at the start of 1 % of the chunks that hold data
  const dataChunks = Math.ceil((dataMiB * MiB) / chunkBytes);
  const changed = Array.from({ length: Math.max(1, Math.round(IMAGE_BYTES / chunkBytes / 100)) }, (_, i) => (i * 97) % dataChunks);
  const writable = await fs.open(image, 'r+');
  for (const index of new Set(changed)) await writable.write(randomBytes(4 * KiB), 0, undefined, index * chunkBytes);
  await writable.close();
  const held = digestsOf(fullManifest);
  const incremental = await timed(() => upload(`snap-incr${chunkKiB}`, held));
  const incrementalManifest = manifestOf(`snap-${'e'.repeat(12)}${String(chunkKiB).padStart(5, '0')}`, incremental.value, fullManifest);
  const incrementalBodies = await readChunks(image, uploadedIndexes(incremental.value, held), chunkBytes);
  const incrementalBaseline = await timed(() => putAll(s3, bucket, `baseline-incremental-${chunkKiB}`, incrementalBodies));

  // Restore
  const restored = path.join(work, `restored-${chunkKiB}.raw`);
  await fs.writeFile(restored, '');
  const restore = await timed(() => restoreSnapshot(incrementalManifest, restored, new TestUrlSource(objects, lineage), { concurrency: CONCURRENCY }));
  const baselineTarget = path.join(work, `baseline-${chunkKiB}.raw`);
  await fs.writeFile(baselineTarget, '');
  await fs.truncate(baselineTarget, IMAGE_BYTES);
  const restoreBaseline = await timed(() => nbdcopyFromQemuNbd(image, baselineTarget, work));
  const [source, copy] = await Promise.all([sha256(image), sha256(restored)]);
  if (source !== copy) throw new Error(`chunk ${chunkKiB} KiB: the restored image differs from the source (${copy} vs ${source})`);

  await Promise.all([image, restored, baselineTarget].map((name) => fs.rm(name, { force: true })));
  return [
    { chunkKiB, step: 'full', seconds: full.seconds, baselineSeconds: fullBaseline.seconds, floorSeconds: read.seconds + fullBaseline.seconds, bytes: full.value.uploadedBytes },
    { chunkKiB, step: 'incremental', seconds: incremental.seconds, baselineSeconds: incrementalBaseline.seconds, floorSeconds: read.seconds + incrementalBaseline.seconds, bytes: incremental.value.uploadedBytes },
    { chunkKiB, step: 'restore', seconds: restore.seconds, baselineSeconds: restoreBaseline.seconds, floorSeconds: restoreBaseline.seconds, bytes: restore.value.writtenBytes },
  ];
}

function table(steps: readonly Step[]): string {
  const rows = [
    ['chunk', 'step', 'bytes moved', 'snapshot s', 'baseline s', 'ratio', 'floor s', 'ratio to floor'],
    ...steps.map((s) => [
      `${s.chunkKiB} KiB`, s.step, `${(s.bytes / MiB).toFixed(1)} MiB`, s.seconds.toFixed(2), s.baselineSeconds.toFixed(2), (s.seconds / s.baselineSeconds).toFixed(2),
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
  const s3 = await localCloudS3();
  const bucket = await newBucket(s3);
  const work = await fs.mkdtemp(path.join(tmpdir(), 'bench-snapshots-'));
  const steps: Step[] = [];
  try {
    for (const chunkKiB of chunkSizes) {
      process.stderr.write(`chunk ${chunkKiB} KiB: full, incremental, restore of a 1 GiB image with ${dataMiB} MiB of data…\n`);
      steps.push(...(await benchChunkSize(s3, bucket, work, chunkKiB, dataMiB)));
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await emptyBucket(s3, bucket);
  }
  process.stdout.write(
    `${table(steps)}\nratio = snapshot / baseline (> 1: slower than the plain transfer of the same bytes); floor = sha256sum of the whole image + the baseline ` +
      '(uploads; what any snapshot without a dirty bitmap must do), the baseline itself for restores\n',
  );
  if (values.json) await fs.writeFile(values.json, JSON.stringify(steps, null, 2));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
