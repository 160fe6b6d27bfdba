import { listVolumeEvents } from '../../core/recovery/use-cases/list-volume-events';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { volumeEventLog } from '../shared/recovery-composition';

const deps = { volumes: volumeRepository(), events: volumeEventLog() };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  return json(200, { events: await listVolumeEvents(deps, tenantId, volumeId) });
});
