import { openPageToken, sealPageToken } from '../../page-token';
import type { PageTokenSecret, VolumeRepository } from '../../ports';
import type { SnapshotRepository } from '../ports';
import type { Snapshot } from '../snapshot';
import type { ListSnapshotsQuery } from '../snapshot-requests';
import { getVolume } from '../../use-cases/get-volume';

export interface ListSnapshotsDeps {
  readonly snapshots: SnapshotRepository;
  readonly volumes: VolumeRepository;
  readonly pageTokenSecret: PageTokenSecret;
}

/** One page of the tenant's snapshots (or of one of its volumes), newest first; `nextToken` works only for this tenant. */
export async function listSnapshots(deps: ListSnapshotsDeps, tenantId: string, volumeId: string | undefined, query: ListSnapshotsQuery): Promise<{ snapshots: readonly Snapshot[]; nextToken?: string }> {
  const secret = await deps.pageTokenSecret();
  const scope = { tenantId, listing: volumeId === undefined ? 'snapshots' : `snapshots of ${volumeId}` };
  const startKey = query.nextToken === undefined ? undefined : openPageToken(query.nextToken, scope, secret);
  const listing = { maxResults: query.limit, ...(startKey ? { startKey } : {}) };
  if (volumeId !== undefined) await getVolume(deps.volumes, tenantId, volumeId);
  const page = volumeId === undefined ? await deps.snapshots.listByTenant(tenantId, listing) : await deps.snapshots.listByVolume(volumeId, listing);
  return { snapshots: page.snapshots, ...(page.lastKey ? { nextToken: sealPageToken(page.lastKey, scope, secret) } : {}) };
}
