import { RegisterHostRequestSchema } from '../../core/host-requests';
import { registerHost } from '../../core/use-cases/register-host';
import { failoverWorkflows, hostCommandQueue, hostPrincipalArnPrefix, hostRepository, now, storageNetwork, volumeRepository } from '../shared/composition';
import { hostOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { hosts: hostRepository(), volumes: volumeRepository(), commands: hostCommandQueue(), failovers: failoverWorkflows(), storageNetwork: storageNetwork() };

export const handler = httpHandler(async (event) => {
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, RegisterHostRequestSchema);
  const { principalArn: _principal, version: _version, ...host } = await registerHost(deps, principalArn, request, now());
  return json(200, host);
});
