import { HostIdSchema, PollCommandsQuerySchema } from '../../core/host-requests';
import { pollCommands } from '../../core/use-cases/poll-commands';
import { hostCommandQueue, hostPrincipalArnPrefix, hostRepository, keyVault, now, sleep, volumeRepository } from '../shared/composition';
import { hostOf, parsePathParameter, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { optionalRecoveryRepository } from '../shared/recovery-composition';

const deps = { hosts: hostRepository(), commands: hostCommandQueue(), volumes: volumeRepository(), keys: keyVault(), ...optionalRecoveryRepository(), now, sleep };

export const handler = httpHandler(async (event) => {
  const { principalArn } = hostOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  const hostId = parsePathParameter(event, 'hostId', HostIdSchema);
  const { wait } = parseQuery(event, PollCommandsQuerySchema);
  return json(200, await pollCommands(deps, principalArn, hostId, wait));
});
