import { RecoveryAccessRequestSchema, grantRecoveryAccess } from '../../core/recovery/use-cases/grant-recovery-access';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, keyVault } from '../shared/composition';
import { customerOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { recoveryDeps } from '../shared/recovery-composition';

const deps = { ...recoveryDeps(), keys: keyVault() };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const request = parseBody(event, RecoveryAccessRequestSchema);
  return json(201, await grantRecoveryAccess(deps, tenantId, volumeId, request.copyId));
});
