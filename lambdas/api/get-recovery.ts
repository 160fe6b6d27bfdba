import { describeRecovery, getRecovery } from '../../core/recovery/use-cases/describe-recovery';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { recoveryRepository } from '../shared/recovery-composition';

const recoveries = recoveryRepository();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, describeRecovery(await getRecovery(recoveries, tenantId, volumeId)));
});
