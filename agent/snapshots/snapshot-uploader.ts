/**
 * Uploads one snapshot from a point-in-time view (snapshot-point.ts): reads the view chunk by
 * chunk, hashes each with sha256, skips chunks of zeros, hands the entries of the others to the
 * control plane in batches and PUTs, through the presigned URLs it answers, each digest the lineage
 * does not hold yet (the control plane knows the parent's manifest) and this snapshot did not
 * upload before a crash (the journal). Returns the chunk list of what it read and the figures.
 * It reads the chunks of `ranges` (by default all): after an incremental read plan
 * (SnapshotPoint.readPlan) only those changed since the parent, whose other entries the control
 * plane takes from the parent's manifest (docs/snapshots.md "Incremental").
 */
import { createHash } from 'node:crypto';
import { chunkCount } from '../../core/snapshots/chunk';
import { bytesIn, indexesIn, type ChunkRange } from '../../core/snapshots/chunk-ranges';
import { chunkLengthAt, type ManifestChunk } from '../../core/snapshots/manifest';
import { MAX_URLS_PER_BATCH } from '../../core/snapshots/snapshot-requests';
import type { ChunkUrlSource } from './chunk-urls';
import { transferChunk, type TransferCounters } from './chunk-transfer';
import type { UploadJournal } from './upload-journal';

export interface UploadProgress {
  readonly readBytes: number;
  readonly totalBytes: number;
  readonly uploadedChunks: number;
}

export interface UploadOptions {
  /** The chunks of `ranges` at the point, in order (SnapshotPoint.readChunks or readView). */
  readonly view: AsyncIterable<Buffer>;
  readonly sizeBytes: number;
  /** The chunk index runs `view` holds. @default every chunk */
  readonly ranges?: readonly ChunkRange[];
  readonly chunkSizeBytes: number;
  readonly journal: UploadJournal;
  readonly urls: ChunkUrlSource;
  /** Chunks sent at once. @default 4 */
  readonly concurrency?: number;
  readonly onProgress?: (progress: UploadProgress) => void;
}

export interface UploadReport {
  readonly chunks: readonly ManifestChunk[];
  /** Chunks read from the view. */
  readonly readChunks: number;
  /** Chunks PUT by this run (not counting those the journal says an earlier run sent). */
  readonly uploadedChunks: number;
  readonly uploadedBytes: number;
  readonly zeroChunks: number;
  readonly retries: number;
  readonly renewals: number;
}

const isZero = (buffer: Buffer): boolean => {
  for (let offset = 0; offset < buffer.length; offset += 8) if (buffer.readBigUInt64LE(offset) !== 0n) return false;
  return true;
};

export async function uploadSnapshot(options: UploadOptions): Promise<UploadReport> {
  const chunks: ManifestChunk[] = [];
  const counters: TransferCounters = { retries: 0, renewals: 0 };
  let batch: { chunk: ManifestChunk; body: Buffer }[] = [];
  let uploadedChunks = 0;
  let uploadedBytes = 0;
  let zeroChunks = 0;
  const concurrency = options.concurrency ?? 4;

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const entries = batch;
    batch = [];
    const answer = await options.urls.putUrls(entries.map((entry) => entry.chunk));
    const bodies = new Map(entries.map((entry) => [entry.chunk.digest, entry]));
    const work = answer.urls.filter((url) => !options.journal.uploaded.has(url.digest));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const url = work[next++];
        const { chunk, body } = bodies.get(url.digest)!;
        const renew = async () => {
          const renewed = (await options.urls.putUrls([chunk])).urls[0];
          if (!renewed) throw new Error(`the control plane gave no new URL for chunk ${chunk.index} (${chunk.digest})`);
          return renewed;
        };
        await transferChunk('PUT', url, renew, counters, body);
        await options.journal.record(url.digest);
        uploadedChunks++;
        uploadedBytes += body.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  };

  const ranges = options.ranges ?? [[0, chunkCount(options.sizeBytes, options.chunkSizeBytes)]];
  const indexes = indexesIn(ranges);
  const totalBytes = bytesIn(ranges, options.sizeBytes, options.chunkSizeBytes);
  let readChunks = 0;
  let readBytes = 0;
  for await (const buffer of options.view) {
    const next = indexes.next();
    if (next.done) throw new Error(`the snapshot view gave more than the ${readChunks} chunks planned`);
    const index = next.value;
    const length = chunkLengthAt(index, options.sizeBytes, options.chunkSizeBytes);
    if (buffer.length !== length) throw new Error(`the snapshot view gave ${buffer.length} bytes for chunk ${index}, expected ${length}`);
    if (isZero(buffer)) {
      zeroChunks++;
    } else {
      const digest = createHash('sha256').update(buffer).digest('hex');
      const chunk = { index, digest, lengthBytes: length };
      chunks.push(chunk);
      batch.push({ chunk, body: buffer });
      if (batch.length >= MAX_URLS_PER_BATCH) await flush();
    }
    readChunks++;
    readBytes += length;
    options.onProgress?.({ readBytes, totalBytes, uploadedChunks });
  }
  if (readBytes !== totalBytes) throw new Error(`the snapshot view ended after ${readBytes} of ${totalBytes} bytes`);
  await flush();
  return { chunks, readChunks, uploadedChunks, uploadedBytes, zeroChunks, retries: counters.retries, renewals: counters.renewals };
}
