import { setVolumePolicy } from '../../core/use-cases/volume-policy';
import { VolumePolicySchema } from '../../core/volume-policy';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, now, volumeRepository } from '../shared/composition';
import { customerOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const policy = await setVolumePolicy(deps, tenantId, volumeId, parseBody(event, VolumePolicySchema));
  return json(200, { volumeId, policy });
});
