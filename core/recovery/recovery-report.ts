import { z } from 'zod';
import { COPY_ID_PATTERN, VOLUME_ID_PATTERN } from '../ids';

/**
 * What a storage host in recovery reports about the copies it holds (docs/recovery.md, "The
 * report"). A host sends its copies in pages of at most MAX_COPIES_PER_REPORT (the API's body
 * limit is 64 KiB); `final` marks the last page, which frees the host's place in the recovery batch.
 */
export const MAX_COPIES_PER_REPORT = 32;
/** A digest is a list of at most this many chunk hashes: the chunk size grows with the copy. */
export const MAX_DIGEST_CHUNKS = 64;
export const DIGEST_ALGORITHM = 'sha256-64' as const;

export const RECOVERY_TRIGGERS = ['unclean-shutdown', 'control-plane-lost'] as const;
export type RecoveryTrigger = (typeof RECOVERY_TRIGGERS)[number];

/** Per-chunk hashes of a copy's data: the first 64 bits of each chunk's SHA-256, in hex. */
export const CopyDigestSchema = z.strictObject({
  algorithm: z.literal(DIGEST_ALGORITHM),
  chunkBytes: z.number().int().min(1).max(2 ** 40),
  chunks: z.array(z.string().regex(/^[0-9a-f]{16}$/, 'chunk hashes are 16 lower-case hex digits')).min(1).max(MAX_DIGEST_CHUNKS),
});
export type CopyDigest = z.infer<typeof CopyDigestSchema>;

const generation = z.number().int().min(0).max(2 ** 31 - 1);

export const ScannedCopySchema = z.strictObject({
  volumeId: z.string().regex(VOLUME_ID_PATTERN, 'volume ids look like vol-0123456789abcdef0'),
  copyId: z.string().regex(COPY_ID_PATTERN, 'copy ids look like cpy-0123456789ab'),
  role: z.enum(['primary', 'mirror']),
  generation,
  /** The last generation at which this copy knew itself in sync with its twin (a primary with a READY mirror, or a mirror fed by one). */
  lastInSyncGeneration: generation.optional(),
  sizeBytes: z.number().int().min(1).max(16_384 * 2 ** 30),
  health: z.strictObject({ readable: z.boolean(), metadataConsistent: z.boolean() }),
  /** Absent when the data could not be read. */
  digest: CopyDigestSchema.optional(),
});
export type ScannedCopy = z.infer<typeof ScannedCopySchema>;

export const RecoveryReportRequestSchema = z
  .strictObject({
    trigger: z.enum(RECOVERY_TRIGGERS),
    copies: z.array(ScannedCopySchema).max(MAX_COPIES_PER_REPORT),
    final: z.boolean().default(true),
  })
  .refine((report) => new Set(report.copies.map((copy) => copy.copyId)).size === report.copies.length, {
    message: 'each copy (copyId) may be reported once per page',
    path: ['copies'],
  });
export type RecoveryReportRequest = z.infer<typeof RecoveryReportRequestSchema>;

/** A healthy copy whose data was read: the only kind that can be served or compared. */
export function isUsable(copy: ScannedCopy): copy is ScannedCopy & { digest: CopyDigest } {
  return copy.health.readable && copy.health.metadataConsistent && copy.digest !== undefined;
}

/** Two digests prove the data identical when they hash the same chunks of the same size to the same values. */
export function sameData(a: Pick<ScannedCopy, 'sizeBytes' | 'digest'>, b: Pick<ScannedCopy, 'sizeBytes' | 'digest'>): boolean {
  if (!a.digest || !b.digest || a.sizeBytes !== b.sizeBytes) return false;
  if (a.digest.chunkBytes !== b.digest.chunkBytes || a.digest.chunks.length !== b.digest.chunks.length) return false;
  return a.digest.chunks.every((hash, index) => hash === b.digest?.chunks[index]);
}

/** The chunks whose hashes differ (by index), for the proof of a divergence. */
export function differingChunks(a: CopyDigest, b: CopyDigest): number[] {
  const length = Math.max(a.chunks.length, b.chunks.length);
  return Array.from({ length }, (_, index) => index).filter((index) => a.chunks[index] !== b.chunks[index]);
}
