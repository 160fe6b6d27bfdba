import { PostCommentRequestSchema } from '../../core/health/comment';
import { describeComment } from '../../core/health/use-cases/describe-comment';
import { postComment } from '../../core/health/use-cases/post-comment';
import { hostPrincipalArnPrefix, hostRepository, now } from '../shared/composition';
import { healthStore, triggerSettings, volumeHealthSources } from '../shared/health-composition';
import { customerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { store: healthStore(), dependencies: volumeHealthSources(), hosts: hostRepository(), triggers: triggerSettings(), now };

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, PostCommentRequestSchema);
  return json(201, describeComment(await postComment(deps, { ...request, tenantId })));
});
