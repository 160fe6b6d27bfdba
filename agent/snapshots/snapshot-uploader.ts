/**
 * Uploads one snapshot from a point-in-time view (snapshot-point.ts): reads the view chunk by
 * chunk, hashes each with sha256, skips chunks of zeros, skips digests the lineage already holds
 * (the parent's manifest) or that this snapshot uploaded before a crash (the journal), and PUTs
 * the rest through presigned URLs asked for in batches. Returns the manifest's chunk list and the
 * figures. Every chunk is read and hashed (raw copies keep no dirty bitmap across a restart,
 * docs/snapshots.md "Incremental"); only changed chunks are uploaded.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
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
  readonly viewPath: string;
  readonly sizeBytes: number;
  readonly chunkSizeBytes: number;
  /** Digests the lineage already stores (the parent snapshot's manifest). */
  readonly held: ReadonlySet<string>;
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
  const pending = new Map<string, Buffer>();
  let uploadedChunks = 0;
  let uploadedBytes = 0;
  let zeroChunks = 0;
  const concurrency = options.concurrency ?? 4;

  const flush = async (): Promise<void> => {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    const urls = await options.urls.urls('PUT', batch.map(([digest]) => digest));
    const byDigest = new Map(urls.map((url) => [url.digest, url]));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const [digest, body] = batch[next++];
        await transferChunk('PUT', byDigest.get(digest)!, options.urls, counters, body);
        await options.journal.record(digest);
        uploadedChunks++;
        uploadedBytes += body.length;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  };

  const file = await fs.open(options.viewPath, 'r');
  try {
    for (let index = 0, offset = 0; offset < options.sizeBytes; index++, offset += options.chunkSizeBytes) {
      const length = Math.min(options.chunkSizeBytes, options.sizeBytes - offset);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new Error(`short read of the snapshot view at ${offset}: ${bytesRead} of ${length} bytes`);
      if (isZero(buffer)) {
        zeroChunks++;
      } else {
        const digest = createHash('sha256').update(buffer).digest('hex');
        chunks.push({ index, digest, lengthBytes: length });
        if (!options.held.has(digest) && !options.journal.uploaded.has(digest) && !pending.has(digest)) pending.set(digest, buffer);
        if (pending.size >= MAX_URLS_PER_BATCH) await flush();
      }
      options.onProgress?.({ readBytes: offset + length, totalBytes: options.sizeBytes, uploadedChunks });
    }
    await flush();
  } finally {
    await file.close();
  }
  return { chunks, uploadedChunks, uploadedBytes, zeroChunks, retries: counters.retries, renewals: counters.renewals };
}
