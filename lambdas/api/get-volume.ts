import { getVolume } from '../../core/use-cases/get-volume';
import { describeVolume } from '../../core/volume';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const volumes = volumeRepository();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, describeVolume(await getVolume(volumes, tenantId, volumeId)));
});
