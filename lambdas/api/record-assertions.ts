import { AssertionBatchSchema } from '../../core/audit/assertion';
import { recordAssertions, requireOwnComponents } from '../../core/audit/use-cases/record-assertions';
import { alarmPublisher, alarmStore, assertionStore, hostIdResolver, specStore, waiverStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { specs: specStore(), assertions: assertionStore(), waivers: waiverStore(), alarms: alarmStore(), publisher: alarmPublisher(), now };
const hostIdOf = hostIdResolver();

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const hostId = await hostIdOf(event);
  const { assertions } = parseBody(event, AssertionBatchSchema);
  requireOwnComponents(hostId, assertions);
  const { recorded, alarms } = await recordAssertions(deps, assertions);
  return json(202, { recorded, alarmsRaised: alarms.length });
});
