/** Request schemas of the snapshot routes (docs/api.md, "Snapshots"). */
import { z } from 'zod';
import { DIGEST_PATTERN } from './chunk';

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

/** A host asks for presigned URLs for chunks of one snapshot: PUTs while taking it, GETs while restoring from it. */
export const ChunkUrlsRequestSchema = z
  .object({
    snapshotId: SnapshotIdSchema,
    method: z.enum(['PUT', 'GET']),
    digests: z
      .array(z.string().regex(DIGEST_PATTERN, 'each digest must be 64 lower-case hex digits'))
      .min(1, 'digests must name at least one chunk')
      .max(MAX_URLS_PER_BATCH, `digests may name at most ${MAX_URLS_PER_BATCH} chunks per batch`),
  })
  .strict();
export type ChunkUrlsRequest = z.infer<typeof ChunkUrlsRequestSchema>;
