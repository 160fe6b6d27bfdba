import type { Host } from '../../core/host';
import { evaluateHealth } from '../../core/health/use-cases/evaluate-health';
import { heartbeatTimeoutSeconds, hostSweepStore, now } from '../shared/composition';
import { copyMover, healthStore, hostProbe, noticeDelivery, triggerSettings, volumeHealthSources } from '../shared/health-composition';
import { logger } from '../shared/logger';

const sources = volumeHealthSources();
const deps = {
  store: healthStore(),
  dependencies: sources,
  signals: sources,
  probe: hostProbe(),
  delivery: noticeDelivery(),
  mover: copyMover(),
  triggers: triggerSettings(),
  heartbeatTimeoutSeconds: heartbeatTimeoutSeconds(),
  now,
};
const hostsTable = hostSweepStore();

/** Most hosts one evaluation reads (bounded batches of 100). */
const MAX_HOSTS = 10_000;

/** EventBridge schedule target (and on demand): one evaluation of the fleet's health (core/health/use-cases/evaluate-health.ts). */
export const handler = async (): Promise<unknown> => {
  const hosts: Host[] = [];
  let cursor: string | undefined;
  do {
    const page = await hostsTable.listHosts(cursor, 100);
    hosts.push(...page.hosts);
    cursor = page.nextCursor;
  } while (cursor && hosts.length < MAX_HOSTS);
  const outcome = await evaluateHealth(deps, hosts);
  logger.info('health evaluation ended', { ...outcome });
  return outcome;
};
