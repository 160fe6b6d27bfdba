import { deleteVolume } from '../../core/use-cases/delete-volume';
import { describeVolume } from '../../core/volume';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, now, volumeRepository, volumeWorkflows } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), workflows: volumeWorkflows(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(202, describeVolume(await deleteVolume(deps, tenantId, volumeId)));
});
