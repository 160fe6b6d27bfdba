/**
 * Eager restore into a fresh (sparse, all-zero) copy file before its daemon opens it: every
 * chunk the manifest lists is fetched through a presigned GET, its sha256 checked against the
 * manifest, and written at its offset; unlisted chunks stay zero. A chunk whose bytes do not hash
 * to its digest fails the restore with CorruptChunkError naming it (never a silently wrong volume).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Manifest } from '../../core/snapshots/manifest';
import { MAX_URLS_PER_BATCH } from '../../core/snapshots/snapshot-requests';
import type { ChunkUrlSource } from './chunk-urls';
import { transferChunk, type TransferCounters } from './chunk-transfer';
import { CorruptChunkError } from './snapshot-errors';

export interface RestoreReport {
  readonly fetchedChunks: number;
  readonly writtenBytes: number;
  readonly retries: number;
  readonly renewals: number;
}

export async function restoreSnapshot(
  manifest: Manifest,
  targetPath: string,
  urls: ChunkUrlSource,
  options: { concurrency?: number; onProgress?: (doneChunks: number, totalChunks: number) => void } = {},
): Promise<RestoreReport> {
  const counters: TransferCounters = { retries: 0, renewals: 0 };
  const file = await fs.open(targetPath, 'r+');
  let fetchedChunks = 0;
  let writtenBytes = 0;
  try {
    if ((await file.stat()).size < manifest.sizeBytes) await file.truncate(manifest.sizeBytes);
    for (let start = 0; start < manifest.chunks.length; start += MAX_URLS_PER_BATCH) {
      const batch = manifest.chunks.slice(start, start + MAX_URLS_PER_BATCH);
      const presigned = await urls.getUrls([...new Set(batch.map((chunk) => chunk.digest))]);
      const byDigest = new Map(presigned.map((url) => [url.digest, url]));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batch.length) {
          const chunk = batch[next++];
          const renew = async () => (await urls.getUrls([chunk.digest]))[0];
          const body = await transferChunk('GET', byDigest.get(chunk.digest)!, renew, counters);
          const actual = createHash('sha256').update(body).digest('hex');
          if (actual !== chunk.digest || body.length !== chunk.lengthBytes) throw new CorruptChunkError(chunk.index, chunk.digest, actual);
          await file.write(body, 0, body.length, chunk.index * manifest.chunkSizeBytes);
          fetchedChunks++;
          writtenBytes += body.length;
          options.onProgress?.(fetchedChunks, manifest.chunks.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, batch.length) }, worker));
    }
    await file.sync();
  } finally {
    await file.close();
  }
  return { fetchedChunks, writtenBytes, retries: counters.retries, renewals: counters.renewals };
}
