import { CurrentSpecQuerySchema } from '../../core/audit/audit-requests';
import { currentSpec } from '../../core/audit/use-cases/read-specs';
import { requireHostOrOperator, specStore } from '../shared/audit-composition';
import { parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const specs = specStore();

/** Answers 304 without a body when `If-None-Match` names the current version's ETag (agents poll this). */
export const handler = httpHandler(async (event) => {
  requireHostOrOperator(event);
  refuseBody(event);
  const { componentTypes } = parseQuery(event, CurrentSpecQuerySchema);
  const { spec, etag } = await currentSpec(specs, componentTypes);
  const ifNoneMatch = event.headers?.['If-None-Match'] ?? event.headers?.['if-none-match'];
  if (ifNoneMatch === etag) return { statusCode: 304, headers: { etag }, body: '' };
  const response = json(200, spec);
  return { ...response, headers: { ...response.headers, etag } };
});
