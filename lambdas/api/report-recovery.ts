import { HostIdSchema } from '../../core/host-requests';
import { RecoveryReportRequestSchema } from '../../core/recovery/recovery-report';
import { recordRecoveryReport } from '../../core/recovery/use-cases/record-recovery-report';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { hostOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { recoveryBatch, recoveryDeps } from '../shared/recovery-composition';

const deps = { ...recoveryDeps(), batch: recoveryBatch() };

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const report = parseBody(event, RecoveryReportRequestSchema);
  return json(200, await recordRecoveryReport(deps, principalArn, hostId, report));
});
