import { AlarmConfigSchema } from '../../core/audit/alarms';
import { configureAlarms } from '../../core/audit/use-cases/waivers-and-alarms';
import { alarmStore, operatorOf } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const alarms = alarmStore();

export const handler = httpHandler(async (event) => {
  operatorOf(event);
  refuseQuery(event);
  return json(200, await configureAlarms(alarms, parseBody(event, AlarmConfigSchema), now()));
});
