import { describeModification } from '../../core/modification';
import { ModificationIdSchema } from '../../core/modification-requests';
import { cancelModification } from '../../core/use-cases/cancel-modification';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, modificationRepository, now, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const modificationId = parsePathParameter(event, 'modificationId', ModificationIdSchema);
  const modification = await cancelModification(deps, tenantId, volumeId, modificationId);
  return json(202, describeModification(modification, { percent: 0 }));
});
