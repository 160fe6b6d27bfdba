import { HostIdSchema, ReplicaFaultRequestSchema } from '../../core/host-requests';
import { outdateMirror } from '../../core/use-cases/outdate-mirror';
import { failoverWorkflows, hostPrincipalArnPrefix, hostRepository, now, volumeRepository } from '../shared/composition';
import { hostOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { hosts: hostRepository(), volumes: volumeRepository(), failovers: failoverWorkflows(), now };

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const request = parseBody(event, ReplicaFaultRequestSchema);
  return json(200, await outdateMirror(deps, principalArn, hostId, request));
});
