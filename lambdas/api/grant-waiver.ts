import { grantWaiver } from '../../core/audit/use-cases/waivers-and-alarms';
import { WaiverRequestSchema } from '../../core/audit/waiver';
import { operatorOf, specStore, waiverStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { waivers: waiverStore(), specs: specStore() };

export const handler = httpHandler(async (event) => {
  const author = operatorOf(event);
  refuseQuery(event);
  return json(201, await grantWaiver(deps, parseBody(event, WaiverRequestSchema), author, now()));
});
