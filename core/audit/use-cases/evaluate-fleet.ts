import { alarmsToRaise } from '../alarms';
import { evaluate, type ClauseStatus } from '../evaluation';
import type { AlarmPublisher, AlarmStore, AssertionStore, RaisedAlarm, SpecStore, WaiverStore } from '../ports';
import { COMPONENT_TYPES } from '../spec';

export interface EvaluateFleetDeps {
  readonly specs: SpecStore;
  readonly assertions: AssertionStore;
  readonly waivers: WaiverStore;
  readonly alarms: AlarmStore;
  readonly publisher: AlarmPublisher;
}

/** Every component against the current spec now (SILENT included), raising the alarms it calls for. */
export async function evaluateFleet(deps: EvaluateFleetDeps, now: Date): Promise<{ statuses: ClauseStatus[]; alarms: RaisedAlarm[] }> {
  const spec = await deps.specs.current();
  if (!spec) return { statuses: [], alarms: [] };
  const [latest, waivers, config] = await Promise.all([
    deps.assertions.latest(COMPONENT_TYPES),
    deps.waivers.list(),
    deps.alarms.config(),
  ]);
  const statuses = evaluate({ spec, latest, waivers, asOf: now });
  const wanted = alarmsToRaise(statuses, config, await deps.alarms.recentKeys(now));
  const raised = wanted.length > 0 ? await deps.alarms.claim(wanted, now, config.repeatAfterMinutes) : [];
  if (raised.length > 0) await deps.publisher.publish(raised);
  return { statuses, alarms: raised };
}
