/**
 * A copy's digest for comparison without sending the data (docs/recovery.md, "The report"): the
 * data file cut into at most MAX_DIGEST_CHUNKS chunks of a whole number of MiB, each hashed with
 * SHA-256 and cut to its first 64 bits. Two copies of one size hash the same chunks the same way,
 * so equal lists mean equal data (up to a 2^-64 accident per chunk) and the differing indexes say where.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DIGEST_ALGORITHM, MAX_DIGEST_CHUNKS, type CopyDigest } from '../../core/recovery/recovery-report';

const MiB = 1024 * 1024;

/** The chunk size for a copy of `sizeBytes`: the smallest whole number of MiB that needs at most MAX_DIGEST_CHUNKS chunks. */
export function chunkBytesFor(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / MAX_DIGEST_CHUNKS / MiB)) * MiB;
}

/** Reads `dataPath` once, front to back, hashing each chunk. */
export async function digestOf(dataPath: string, sizeBytes: number): Promise<CopyDigest> {
  const chunkBytes = chunkBytesFor(sizeBytes);
  const chunks: string[] = [];
  let hash = createHash('sha256');
  let filled = 0;
  const stream = createReadStream(dataPath, { highWaterMark: MiB, end: sizeBytes - 1 });
  for await (const piece of stream as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < piece.length) {
      const take = Math.min(chunkBytes - filled, piece.length - offset);
      hash.update(piece.subarray(offset, offset + take));
      filled += take;
      offset += take;
      if (filled === chunkBytes) {
        chunks.push(hash.digest('hex').slice(0, 16));
        hash = createHash('sha256');
        filled = 0;
      }
    }
  }
  if (filled > 0 || chunks.length === 0) chunks.push(hash.digest('hex').slice(0, 16));
  return { algorithm: DIGEST_ALGORITHM, chunkBytes, chunks };
}
