import { describeSnapshot } from '../../core/snapshots/snapshot';
import { CreateSnapshotRequestSchema } from '../../core/snapshots/snapshot-requests';
import { takeSnapshot } from '../../core/snapshots/use-cases/take-snapshot';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, now, volumeRepository } from '../shared/composition';
import { customerOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { snapshotRepository, snapshotWorkflows } from '../shared/snapshot-composition';

const deps = { volumes: volumeRepository(), snapshots: snapshotRepository(), workflows: snapshotWorkflows(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const request = parseBody(event, CreateSnapshotRequestSchema);
  return json(202, describeSnapshot(await takeSnapshot(deps, tenantId, volumeId, request)));
});
