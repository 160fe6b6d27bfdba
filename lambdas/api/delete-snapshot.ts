import { describeSnapshot } from '../../core/snapshots/snapshot';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { deleteSnapshot } from '../../core/snapshots/use-cases/delete-snapshot';
import { hostPrincipalArnPrefix, now } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { snapshotRepository, snapshotWorkflows } from '../shared/snapshot-composition';

const deps = { snapshots: snapshotRepository(), workflows: snapshotWorkflows(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  refuseBody(event);
  const snapshotId = parsePathParameter(event, 'snapshotId', SnapshotIdSchema);
  return json(202, describeSnapshot(await deleteSnapshot(deps, tenantId, snapshotId)));
});
