import { describeVolumeNow } from '../../core/use-cases/describe-volume';
import { getVolume } from '../../core/use-cases/get-volume';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostPrincipalArnPrefix, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const volumes = volumeRepository();
const commands = hostCommandQueue();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, await describeVolumeNow(commands, await getVolume(volumes, tenantId, volumeId)));
});
