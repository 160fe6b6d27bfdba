/**
 * Uploads one snapshot from a point-in-time view (snapshot-point.ts): reads the view chunk by
 * chunk, hashes each with sha256, skips chunks of zeros, hands the entries of the others to the
 * control plane in batches and PUTs, through the presigned URLs it answers, each digest the lineage
 * does not hold yet (the control plane knows the parent's manifest) and this snapshot did not
 * upload before a crash (the journal). Returns the manifest's chunk list and the
 * figures. Every chunk is read and hashed (raw copies keep no dirty bitmap across a restart,
 * docs/snapshots.md "Incremental"); only changed chunks are uploaded.
 */
import { createHash } from 'node:crypto';
import type { ManifestChunk } from '../../core/snapshots/manifest';
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
  /** The image at the point, in order, in chunks of `chunkSizeBytes` (SnapshotPoint.readView). */
  readonly view: AsyncIterable<Buffer>;
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  readonly journal: UploadJournal;
  readonly urls: ChunkUrlSource;
  /** Chunks sent at once. @default 4 */
  readonly concurrency?: number;
  readonly onProgress?: (progress: UploadProgress) => void;
}

export interface UploadReport {
  readonly chunks: readonly ManifestChunk[];
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

  let index = 0;
  let offset = 0;
  for await (const buffer of options.view) {
    const length = Math.min(options.chunkSizeBytes, options.sizeBytes - offset);
    if (buffer.length !== length) throw new Error(`the snapshot view gave ${buffer.length} bytes at ${offset}, expected ${length}`);
    if (isZero(buffer)) {
      zeroChunks++;
    } else {
      const digest = createHash('sha256').update(buffer).digest('hex');
      const chunk = { index, digest, lengthBytes: length };
      chunks.push(chunk);
      batch.push({ chunk, body: buffer });
      if (batch.length >= MAX_URLS_PER_BATCH) await flush();
    }
    index++;
    offset += length;
    options.onProgress?.({ readBytes: offset, totalBytes: options.sizeBytes, uploadedChunks });
  }
  if (offset !== options.sizeBytes) throw new Error(`the snapshot view ended at ${offset} of ${options.sizeBytes} bytes`);
  await flush();
  return { chunks, uploadedChunks, uploadedBytes, zeroChunks, retries: counters.retries, renewals: counters.renewals };
}
