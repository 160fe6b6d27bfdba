import { alarmStore, operatorOf } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const alarms = alarmStore();

export const handler = httpHandler(async (event) => {
  operatorOf(event);
  refuseBody(event);
  refuseQuery(event);
  const [config, recent] = await Promise.all([alarms.config(), alarms.recent(now())]);
  return json(200, { config, recent });
});
