import { describeModification, describePlan } from '../../core/modification';
import { ModifyVolumeRequestSchema } from '../../core/modification-requests';
import { requestModification } from '../../core/use-cases/request-modification';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, hostRepository, modificationRepository, modificationWorkflows, now, volumeRepository } from '../shared/composition';
import { customerOf, parseBody, parsePathParameter, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), hosts: hostRepository(), workflows: modificationWorkflows(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const request = parseBody(event, ModifyVolumeRequestSchema);
  const outcome = await requestModification(deps, tenantId, volumeId, request);
  if (outcome.dryRun) {
    return json(200, { dryRun: true, volumeId, original: outcome.original, target: outcome.target, plan: describePlan(outcome.plan) });
  }
  return json(202, describeModification(outcome.modification, { percent: 0 }));
});
