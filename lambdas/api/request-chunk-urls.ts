import { HostIdSchema } from '../../core/host-requests';
import { authorizeHost } from '../../core/use-cases/authorize-host';
import { ChunkUrlsRequestSchema } from '../../core/snapshots/snapshot-requests';
import { handOutChunkUrls } from '../../core/snapshots/use-cases/hand-out-chunk-urls';
import { hostPrincipalArnPrefix, hostRepository, now, volumeRepository } from '../shared/composition';
import { hostOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { snapshotObjects, snapshotRepository } from '../shared/snapshot-composition';

const hosts = hostRepository();
const deps = { snapshots: snapshotRepository(), volumes: volumeRepository(), objects: snapshotObjects(), now };

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const request = parseBody(event, ChunkUrlsRequestSchema);
  await authorizeHost(hosts, principalArn, hostId);
  return json(200, await handOutChunkUrls(deps, hostId, request));
});
