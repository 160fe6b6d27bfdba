import { describeSnapshot } from '../../core/snapshots/snapshot';
import { ListSnapshotsQuerySchema } from '../../core/snapshots/snapshot-requests';
import { listSnapshots } from '../../core/snapshots/use-cases/list-snapshots';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, pageTokenSecret, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { snapshotRepository } from '../shared/snapshot-composition';

const deps = { snapshots: snapshotRepository(), volumes: volumeRepository(), pageTokenSecret: pageTokenSecret() };

/** `GET /snapshots` (the tenant's) and `GET /volumes/{volumeId}/snapshots` (one volume's). */
export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  const query = parseQuery(event, ListSnapshotsQuerySchema);
  const volumeId = event.pathParameters?.volumeId === undefined ? undefined : parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const page = await listSnapshots(deps, tenantId, volumeId, query);
  return json(200, { snapshots: page.snapshots.map(describeSnapshot), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
});
