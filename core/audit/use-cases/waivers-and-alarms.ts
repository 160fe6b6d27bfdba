import type { AlarmConfig } from '../alarms';
import type { AlarmStore, SpecStore, WaiverStore } from '../ports';
import { InvalidRequestError } from '../../errors';
import type { Waiver, WaiverRequest } from '../waiver';

/** `POST /waivers`: a waiver for a clause of the current spec, ending in the future. */
export async function grantWaiver(deps: { waivers: WaiverStore; specs: SpecStore }, request: WaiverRequest, author: string, now: Date): Promise<Waiver> {
  if (Date.parse(request.until) <= now.getTime()) throw new InvalidRequestError(`until ${request.until} is not in the future`, { until: request.until });
  const spec = await deps.specs.current();
  if (!spec?.clauses.some((clause) => clause.id === request.clauseId)) {
    throw new InvalidRequestError(`clause ${request.clauseId} is not in the current spec`, { clauseId: request.clauseId });
  }
  const waiver: Waiver = { ...request, author, createdAt: now.toISOString() };
  await deps.waivers.put(waiver);
  return waiver;
}

/** `PUT /alarms`: replaces the alarm configuration; answers it with the alarms raised recently. */
export async function configureAlarms(alarms: AlarmStore, config: AlarmConfig, now: Date) {
  await alarms.putConfig(config);
  return { config, recent: await alarms.recent(now) };
}
