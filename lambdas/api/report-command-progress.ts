import { CommandProgressRequestSchema } from '../../core/command-progress';
import { CommandIdSchema, HostIdSchema } from '../../core/host-requests';
import { reportCommandProgress } from '../../core/use-cases/report-command-progress';
import { hostCommandQueue, hostPrincipalArnPrefix, hostRepository, now, taskCallbacks } from '../shared/composition';
import { hostOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { hosts: hostRepository(), commands: hostCommandQueue(), callbacks: taskCallbacks(), now };

export const handler = httpHandler(async (event) => {
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const commandId = parsePathParameter(event, 'commandId', CommandIdSchema);
  const report = parseBody(event, CommandProgressRequestSchema);
  return json(200, await reportCommandProgress(deps, principalArn, hostId, commandId, report));
});
