import { assertControlPlane } from '../../core/audit/use-cases/assert-control-plane';
import { evaluateFleet } from '../../core/audit/use-cases/evaluate-fleet';
import { alarmPublisher, alarmStore, assertionStore, controlPlaneReader, specStore, waiverStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { logger } from '../shared/logger';

const deps = { specs: specStore(), assertions: assertionStore(), waivers: waiverStore(), alarms: alarmStore(), publisher: alarmPublisher(), reader: controlPlaneReader() };

/**
 * Scheduled (EventBridge, every minute): asserts the control plane's clauses against the real
 * volumes, buckets, tables and roles, then evaluates the whole fleet (SILENT included) and raises alarms.
 */
export const handler = async () => {
  const asserted = await assertControlPlane(deps, now());
  const { statuses, alarms } = await evaluateFleet(deps, now());
  const counts = { PASS: 0, FAIL: 0, SILENT: 0, WAIVED: 0 };
  for (const status of statuses) counts[status.state] += 1;
  logger.info('audit evaluated', { asserted, ...counts, alarmsRaised: alarms.length });
  return { asserted, counts, alarmsRaised: alarms.length };
};
