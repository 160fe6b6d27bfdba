import { attachVolume } from '../../core/use-cases/attach-volume';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostPrincipalArnPrefix, keyVault, now, sleep, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), commands: hostCommandQueue(), keys: keyVault(), now, sleep };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(201, await attachVolume(deps, tenantId, volumeId));
});
