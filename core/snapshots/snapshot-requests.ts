/** Request schemas of the snapshot routes (docs/api.md, "Snapshots"). */
import { z } from 'zod';
import { VOLUME_ID_PATTERN } from '../ids';
import { DIGEST_PATTERN } from './chunk';
import { ManifestChunkSchema } from './manifest';

export const SNAPSHOT_ID_PATTERN = /^snap-[0-9a-f]{17}$/;
export const SnapshotIdSchema = z.string().regex(SNAPSHOT_ID_PATTERN, 'snapshot id must look like snap-<17 hex digits>');

export const CreateSnapshotRequestSchema = z
  .object({
    description: z.string().max(255, 'description must be at most 255 characters').optional(),
    clientToken: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'clientToken must be 1-64 letters, digits, _ or -').optional(),
  })
  .strict();
export type CreateSnapshotRequest = z.infer<typeof CreateSnapshotRequestSchema>;

/** Most URLs one batch asks for: enough to keep a host busy for a few seconds, small enough for one response. */
export const MAX_URLS_PER_BATCH = 64;

const Digests = z
  .array(z.string().regex(DIGEST_PATTERN, 'each digest must be 64 lower-case hex digits'))
  .min(1, 'digests must name at least one chunk')
  .max(MAX_URLS_PER_BATCH, `digests may name at most ${MAX_URLS_PER_BATCH} chunks per batch`);

/**
 * A host asks for presigned URLs for chunks of one snapshot: while taking it, it hands over the
 * manifest entries of the chunks it read (`PUT`) and gets a URL for each digest to upload; while
 * restoring from it, a GET URL per digest, or (without `digests`) a GET URL of the manifest. A host
 * filling a copy of a new volume restored from the snapshot names that volume (`volumeId`).
 */
export const ChunkUrlsRequestSchema = z.discriminatedUnion('method', [
  z
    .object({
      snapshotId: SnapshotIdSchema,
      method: z.literal('PUT'),
      chunks: z
        .array(ManifestChunkSchema)
        .min(1, 'chunks must hold at least one entry')
        .max(MAX_URLS_PER_BATCH, `chunks may hold at most ${MAX_URLS_PER_BATCH} entries per batch`),
    })
    .strict(),
  z
    .object({
      snapshotId: SnapshotIdSchema,
      method: z.literal('GET'),
      volumeId: z.string().regex(VOLUME_ID_PATTERN, 'volume ids look like vol-0123456789abcdef0').optional(),
      digests: Digests.optional(),
    })
    .strict(),
]);
export type ChunkUrlsRequest = z.infer<typeof ChunkUrlsRequestSchema>;

export const ListSnapshotsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().max(2048).optional(),
});
export type ListSnapshotsQuery = z.infer<typeof ListSnapshotsQuerySchema>;
