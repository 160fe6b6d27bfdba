import { operatorOf, waiverStore } from '../shared/audit-composition';
import { refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const waivers = waiverStore();

export const handler = httpHandler(async (event) => {
  operatorOf(event);
  refuseBody(event);
  refuseQuery(event);
  return json(200, { waivers: await waivers.list() });
});
