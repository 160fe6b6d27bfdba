/**
 * Chunks: a snapshot is the volume cut into fixed-size chunks; each non-zero chunk is stored
 * once per volume lineage as an object named by the sha256 of its bytes (docs/snapshots.md,
 * "Format"). Zero chunks are not stored: a manifest simply omits them.
 */
import { InvalidRequestError } from '../errors';

/** 1 MiB, chosen by measurement (bench/snapshots, docs/snapshots.md "Chunk size"). */
export const CHUNK_SIZE_BYTES = 1024 * 1024;

/** A chunk digest: lower-case hex sha256. */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

/** A lineage is the volume a chain of snapshots was first taken from (restored volumes inherit it). */
export const LINEAGE_ID_PATTERN = /^vol-[0-9a-f]{17}$/;

/** `chunks/<lineage>/<first two hex digits>/<digest>`: one object per distinct chunk of a lineage. */
export function chunkKey(lineageId: string, digest: string): string {
  if (!LINEAGE_ID_PATTERN.test(lineageId)) throw new InvalidRequestError(`lineage id ${JSON.stringify(lineageId)} is not a volume id`);
  if (!DIGEST_PATTERN.test(digest)) throw new InvalidRequestError(`chunk digest ${JSON.stringify(digest)} is not 64 lower-case hex digits`);
  return `chunks/${lineageId}/${digest.slice(0, 2)}/${digest}`;
}

/** `manifests/<lineage>/<snapshotId>.json`: written by the control plane only. */
export function manifestKey(lineageId: string, snapshotId: string): string {
  return `manifests/${lineageId}/${snapshotId}.json`;
}

/** How many chunks cover `sizeBytes` (the last one may be short only if the size is not a multiple). */
export function chunkCount(sizeBytes: number, chunkSizeBytes = CHUNK_SIZE_BYTES): number {
  return Math.ceil(sizeBytes / chunkSizeBytes);
}

/** The sha256 digest as S3's `x-amz-checksum-sha256` wants it (base64 of the 32 bytes). */
export function checksumHeaderOf(digest: string): string {
  if (!DIGEST_PATTERN.test(digest)) throw new InvalidRequestError(`chunk digest ${JSON.stringify(digest)} is not 64 lower-case hex digits`);
  return Buffer.from(digest, 'hex').toString('base64');
}
