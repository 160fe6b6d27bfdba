import { RecoveryDecisionRequestSchema, decideRecovery } from '../../core/recovery/use-cases/decide-recovery';
import { describeRecovery } from '../../core/recovery/use-cases/describe-recovery';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { customerOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { recoveryDecisionDeps } from '../shared/recovery-composition';

const deps = recoveryDecisionDeps();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const request = parseBody(event, RecoveryDecisionRequestSchema);
  return json(200, describeRecovery(await decideRecovery(deps, tenantId, volumeId, request)));
});
