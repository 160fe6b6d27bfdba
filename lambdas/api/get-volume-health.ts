import { describeVolumeHealth } from '../../core/health/use-cases/describe-volume-health';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, hostRepository, volumeRepository } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { store: healthStore(), volumes: volumeRepository(), hosts: hostRepository() };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, await describeVolumeHealth(deps, tenantId, volumeId));
});
