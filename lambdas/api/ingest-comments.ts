import { requireOperator } from '../../core/diagnostics/operator';
import { IngestCommentsRequestSchema } from '../../core/health/comment';
import { describeComment } from '../../core/health/use-cases/describe-comment';
import { postComment } from '../../core/health/use-cases/post-comment';
import { hostPrincipalArnPrefix, hostRepository, now } from '../shared/composition';
import { healthStore, operatorPrincipalArnPrefix, triggerSettings, volumeHealthSources } from '../shared/health-composition';
import { callerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { store: healthStore(), dependencies: volumeHealthSources(), hosts: hostRepository(), triggers: triggerSettings(), now };

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseQuery(event);
  const { comments } = parseBody(event, IngestCommentsRequestSchema);
  const stored = [];
  for (const comment of comments) stored.push(describeComment(await postComment(deps, comment)));
  return json(201, { comments: stored });
});
