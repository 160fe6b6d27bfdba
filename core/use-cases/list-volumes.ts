import { openPageToken, sealPageToken } from '../page-token';
import type { PageTokenSecret, VolumeRepository } from '../ports';
import type { Volume } from '../volume';
import type { ListVolumesQuery } from '../volume-requests';

export interface ListVolumesDeps {
  readonly volumes: VolumeRepository;
  readonly pageTokenSecret: PageTokenSecret;
}

/** One page of the tenant's volumes; `nextToken` continues it and works only for this tenant. */
export async function listVolumes(
  deps: ListVolumesDeps,
  tenantId: string,
  query: ListVolumesQuery,
): Promise<{ volumes: readonly Volume[]; nextToken?: string }> {
  const secret = await deps.pageTokenSecret();
  const { nextToken, limit, ...filters } = query;
  const scope = { tenantId, listing: `volumes ${JSON.stringify(filters)}` };
  const startKey = nextToken === undefined ? undefined : openPageToken(nextToken, scope, secret);
  const page = await deps.volumes.listByTenant(tenantId, { ...filters, limit, startKey });
  return { volumes: page.volumes, nextToken: page.lastKey && sealPageToken(page.lastKey, scope, secret) };
}
