import { z } from 'zod';
import { VOLUME_ID_PATTERN } from '../core/ids';
import { DIGEST_PATTERN } from '../core/snapshots/chunk';
import { SNAPSHOT_ID_PATTERN } from '../core/snapshots/snapshot-requests';
import { SnapshotStatus } from '../core/snapshots/snapshot-status';
import { responseSchemas } from './responses';

/** What the snapshot routes answer (docs/snapshots.md). The customer view is strict, like the volume views. */
const Timestamp = z.iso.datetime({ offset: true });
const SnapshotId = z.string().regex(SNAPSHOT_ID_PATTERN);

export const SnapshotViewSchema = z
  .strictObject({
    snapshotId: SnapshotId,
    volumeId: z.string().regex(VOLUME_ID_PATTERN),
    status: z.enum(Object.values(SnapshotStatus) as [SnapshotStatus, ...SnapshotStatus[]]),
    statusReason: z.string().optional(),
    progressPercent: z.number().int().min(0).max(100),
    sizeGiB: z.number().int(),
    description: z.string().optional(),
    startedAt: Timestamp,
    completedAt: Timestamp.optional(),
    pointAt: Timestamp.optional(),
    parentSnapshotId: SnapshotId.optional(),
    changedBytes: z.number().int().min(0).optional(),
    storedBytes: z.number().int().min(0).optional(),
  })
  .register(responseSchemas, { id: 'Snapshot' });

export const SnapshotPageSchema = z
  .strictObject({ snapshots: z.array(SnapshotViewSchema), nextToken: z.string().optional() })
  .register(responseSchemas, { id: 'SnapshotPage', description: 'Newest first; follow nextToken (valid only for the tenant it was given to)' });

const ChunkUrl = z.object({ digest: z.string().regex(DIGEST_PATTERN), url: z.url(), headers: z.record(z.string(), z.string()), expiresAt: Timestamp });
const ManifestUrl = z.object({ digest: z.literal(''), url: z.url(), headers: z.record(z.string(), z.string()), expiresAt: Timestamp });

export const ChunkUrlsSchema = z
  .object({ urls: z.array(ChunkUrl), held: z.array(z.string().regex(DIGEST_PATTERN)), manifest: ManifestUrl.optional() })
  .register(responseSchemas, {
    id: 'SnapshotChunkUrls',
    description: 'One presigned URL per chunk to transfer (use it with exactly its headers); held: digests the lineage already stores; manifest: a GET of the manifest (asked for without digests)',
  });
