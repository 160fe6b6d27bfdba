/**
 * The manifest: the ordered list of a snapshot's non-zero chunks (index, digest, length),
 * written by the control plane when the agent reports the snapshot done. A restore reads it,
 * fetches every listed chunk, verifies its digest and leaves every unlisted chunk zero.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors';
import { CHUNK_SIZE_BYTES, DIGEST_PATTERN, chunkCount } from './chunk';

export const MANIFEST_FORMAT = 'blockplane-snapshot/1';

export const ManifestChunkSchema = z
  .object({
    index: z.number().int().nonnegative(),
    digest: z.string().regex(DIGEST_PATTERN, 'digest must be 64 lower-case hex digits'),
    lengthBytes: z.number().int().positive(),
  })
  .strict();
export type ManifestChunk = z.infer<typeof ManifestChunkSchema>;

export const ManifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    snapshotId: z.string().min(1),
    volumeId: z.string().min(1),
    lineageId: z.string().min(1),
    parentSnapshotId: z.string().min(1).optional(),
    sizeBytes: z.number().int().positive(),
    chunkSizeBytes: z.number().int().positive(),
    chunks: z.array(ManifestChunkSchema),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

export interface ManifestInput {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly lineageId: string;
  readonly parentSnapshotId?: string;
  readonly sizeBytes: number;
  readonly chunkSizeBytes?: number;
  readonly chunks: readonly ManifestChunk[];
}

/** Orders the chunks and refuses an index past the end, a duplicate index or a wrong length. */
export function buildManifest(input: ManifestInput): Manifest {
  const chunkSizeBytes = input.chunkSizeBytes ?? CHUNK_SIZE_BYTES;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    snapshotId: input.snapshotId,
    volumeId: input.volumeId,
    lineageId: input.lineageId,
    ...(input.parentSnapshotId ? { parentSnapshotId: input.parentSnapshotId } : {}),
    sizeBytes: input.sizeBytes,
    chunkSizeBytes,
    chunks: [...input.chunks].sort((a, b) => a.index - b.index),
  };
  return validateManifest(manifest);
}

/** The expected length of chunk `index` of a volume of `sizeBytes`. */
export function chunkLengthAt(index: number, sizeBytes: number, chunkSizeBytes: number): number {
  return Math.min(chunkSizeBytes, sizeBytes - index * chunkSizeBytes);
}

/** Parses and checks a manifest (from S3 or from a report): schema, order, range and lengths. */
export function validateManifest(value: unknown): Manifest {
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequestError(`manifest is not valid: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const manifest = parsed.data;
  const count = chunkCount(manifest.sizeBytes, manifest.chunkSizeBytes);
  let previous = -1;
  for (const chunk of manifest.chunks) {
    if (chunk.index <= previous) throw new InvalidRequestError(`manifest chunk ${chunk.index} is out of order or repeated (after ${previous})`);
    if (chunk.index >= count) throw new InvalidRequestError(`manifest chunk ${chunk.index} is past the end: a ${manifest.sizeBytes}-byte volume has ${count} chunks`);
    const expected = chunkLengthAt(chunk.index, manifest.sizeBytes, manifest.chunkSizeBytes);
    if (chunk.lengthBytes !== expected) throw new InvalidRequestError(`manifest chunk ${chunk.index} has ${chunk.lengthBytes} bytes; expected ${expected}`);
    previous = chunk.index;
  }
  return manifest;
}

/** The distinct digests a manifest references. */
export function digestsOf(manifest: Pick<Manifest, 'chunks'>): Set<string> {
  return new Set(manifest.chunks.map((chunk) => chunk.digest));
}

/** Bytes the snapshot holds that are not zero (what a restore downloads). */
export function storedBytesOf(manifest: Pick<Manifest, 'chunks'>): number {
  return manifest.chunks.reduce((sum, chunk) => sum + chunk.lengthBytes, 0);
}
