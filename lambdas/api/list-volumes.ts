import { listVolumes } from '../../core/use-cases/list-volumes';
import { describeVolume } from '../../core/volume';
import { ListVolumesQuerySchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, pageTokenSecret, volumeRepository } from '../shared/composition';
import { customerOf, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), pageTokenSecret: pageTokenSecret() };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  const page = await listVolumes(deps, tenantId, parseQuery(event, ListVolumesQuerySchema));
  return json(200, { volumes: page.volumes.map(describeVolume), nextToken: page.nextToken });
});
