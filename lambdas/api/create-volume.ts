import { createVolume } from '../../core/use-cases/create-volume';
import { describeVolume } from '../../core/volume';
import { CreateVolumeRequestSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, now, volumeRepository, volumeWorkflows } from '../shared/composition';
import { customerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { restoreSnapshotRepository } from '../shared/snapshot-composition';

const deps = { volumes: volumeRepository(), workflows: volumeWorkflows(), snapshots: restoreSnapshotRepository(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, CreateVolumeRequestSchema);
  const volume = await createVolume(deps, tenantId, request);
  return json(202, describeVolume(volume));
});
