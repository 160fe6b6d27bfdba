import { describeAttachment } from '../../core/use-cases/attach-volume';
import { AttachmentIdSchema, VolumeIdSchema } from '../../core/volume-requests';
import { hostPrincipalArnPrefix, keyVault, volumeRepository } from '../shared/composition';
import { customerOf, parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { volumes: volumeRepository(), keys: keyVault() };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseBody(event);
  refuseQuery(event);
  const volumeId = parsePathParameter(event, 'volumeId', VolumeIdSchema);
  const attachmentId = parsePathParameter(event, 'attachmentId', AttachmentIdSchema);
  return json(200, await describeAttachment(deps, tenantId, volumeId, attachmentId));
});
