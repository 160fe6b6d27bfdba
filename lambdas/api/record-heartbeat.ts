import { HeartbeatRequestSchema, HostIdSchema } from '../../core/host-requests';
import { recordHeartbeat } from '../../core/use-cases/record-heartbeat';
import { failoverWorkflows, hostPrincipalArnPrefix, hostRepository, now, volumeRepository } from '../shared/composition';
import { hostOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { hosts: hostRepository(), volumes: volumeRepository(), failovers: failoverWorkflows(), now };

export const handler = httpHandler(async (event) => {
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const heartbeat = parseBody(event, HeartbeatRequestSchema);
  return json(200, await recordHeartbeat(deps, principalArn, hostId, heartbeat));
});
