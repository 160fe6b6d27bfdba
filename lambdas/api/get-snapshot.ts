import { describeSnapshot } from '../../core/snapshots/snapshot';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { ownSnapshot } from '../../core/snapshots/use-cases/read-snapshots';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { snapshotRepository } from '../shared/snapshot-composition';

const snapshots = snapshotRepository();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  refuseBody(event);
  const snapshotId = parsePathParameter(event, 'snapshotId', SnapshotIdSchema);
  return json(200, describeSnapshot(await ownSnapshot(snapshots, tenantId, snapshotId)));
});
