import { SpecChangesRequestSchema } from '../../core/audit/audit-requests';
import { publishSpecChange } from '../../core/audit/use-cases/publish-spec-change';
import { operatorOf, specStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const specs = specStore();

export const handler = httpHandler(async (event) => {
  const author = operatorOf(event);
  refuseQuery(event);
  return json(201, await publishSpecChange(specs, parseBody(event, SpecChangesRequestSchema), author, now()));
});
