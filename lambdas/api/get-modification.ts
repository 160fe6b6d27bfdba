import { ModificationIdSchema } from '../../core/modification-requests';
import { getModification } from '../../core/use-cases/describe-modifications';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostPrincipalArnPrefix, modificationRepository, now, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), commands: hostCommandQueue(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const modificationId = parsePathParameter(event, 'modificationId', ModificationIdSchema);
  return json(200, await getModification(deps, tenantId, volumeId, modificationId));
});
