import { requireOperator } from '../../core/diagnostics/operator';
import { NotFoundError } from '../../core/errors';
import { RedriveNoticeRequestSchema } from '../../core/health/health-requests';
import { hostPrincipalArnPrefix, now } from '../shared/composition';
import { healthStore, operatorPrincipalArnPrefix } from '../shared/health-composition';
import { callerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseQuery(event);
  const { noticeId } = parseBody(event, RedriveNoticeRequestSchema);
  if (!(await store.redriveNotice(noticeId, now()))) throw new NotFoundError(`notice ${noticeId} is not a dead letter`, { noticeId });
  return json(200, { noticeId, redriven: true });
});
