import { ListModificationsQuerySchema } from '../../core/modification-requests';
import { listModifications } from '../../core/use-cases/describe-modifications';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostPrincipalArnPrefix, modificationRepository, now, pageTokenSecret, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), commands: hostCommandQueue(), pageTokenSecret: pageTokenSecret(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, await listModifications(deps, tenantId, volumeId, parseQuery(event, ListModificationsQuerySchema)));
});
