import { HostIdSchema } from '../core/host-requests';
import { ChunkUrlsRequestSchema, CreateSnapshotRequestSchema, ListSnapshotsQuerySchema, SnapshotIdSchema } from '../core/snapshots/snapshot-requests';
import { VolumeIdSchema } from '../core/volume-requests';
import type { ApiRoute } from './routes';
import { ChunkUrlsSchema, SnapshotPageSchema, SnapshotViewSchema } from './snapshot-responses';

const snapshotId = { snapshotId: SnapshotIdSchema };

/** The snapshot routes (docs/snapshots.md, "API"). */
export const SNAPSHOT_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'CreateSnapshot', method: 'post', path: '/volumes/{volumeId}/snapshots', caller: 'customer',
    summary: 'Takes an incremental, crash-consistent snapshot of a serving volume; its workflow uploads the chunks the lineage lacks',
    pathParameters: { volumeId: VolumeIdSchema },
    body: CreateSnapshotRequestSchema,
    success: { status: 202, description: 'The snapshot, pending (or the one first created with this clientToken)', schema: SnapshotViewSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ListVolumeSnapshots', method: 'get', path: '/volumes/{volumeId}/snapshots', caller: 'customer',
    summary: "Lists one of the caller's volumes' snapshots, newest first",
    pathParameters: { volumeId: VolumeIdSchema },
    query: ListSnapshotsQuerySchema,
    success: { status: 200, description: 'One page of snapshots', schema: SnapshotPageSchema },
    errors: [404],
  },
  {
    operationId: 'ListSnapshots', method: 'get', path: '/snapshots', caller: 'customer',
    summary: "Lists the caller's snapshots, newest first",
    query: ListSnapshotsQuerySchema,
    success: { status: 200, description: 'One page of snapshots', schema: SnapshotPageSchema },
    errors: [],
  },
  {
    operationId: 'GetSnapshot', method: 'get', path: '/snapshots/{snapshotId}', caller: 'customer',
    summary: "One of the caller's snapshots with its progress and figures",
    pathParameters: snapshotId,
    success: { status: 200, description: 'The snapshot', schema: SnapshotViewSchema },
    errors: [404],
  },
  {
    operationId: 'DeleteSnapshot', method: 'delete', path: '/snapshots/{snapshotId}', caller: 'customer',
    summary: 'Deletes a completed or failed snapshot; the chunks no other snapshot names are then removed',
    pathParameters: snapshotId,
    success: { status: 202, description: 'The snapshot, deleting', schema: SnapshotViewSchema },
    errors: [404, 409],
  },
  {
    operationId: 'RequestSnapshotChunkUrls', method: 'post', path: '/hosts/{hostId}/snapshot-chunks', caller: 'host',
    summary: 'Hosts: hands over a batch of manifest entries and gets presigned PUTs (one key, sha256 checksum bound, 10 minutes) for the chunks to upload; or presigned GETs to restore',
    pathParameters: { hostId: HostIdSchema },
    body: ChunkUrlsRequestSchema,
    success: { status: 200, description: 'The URLs', schema: ChunkUrlsSchema },
    errors: [403, 404, 409, 413],
  },
];
