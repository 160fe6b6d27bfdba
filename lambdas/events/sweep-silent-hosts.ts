import { runSilentHostSweep } from '../../core/use-cases/sweep-silent-hosts';
import {
  failoverWorkflows,
  heartbeatTimeoutSeconds,
  hostRepository,
  hostSweepStore,
  now,
  sleep,
  sweepRun,
  volumeRepository,
} from '../shared/composition';
import { logger } from '../shared/logger';

const deps = {
  sweep: hostSweepStore(),
  hosts: hostRepository(),
  volumes: volumeRepository(),
  failovers: failoverWorkflows(),
  now,
  sleep,
  heartbeatTimeoutSeconds: heartbeatTimeoutSeconds(),
};
const run = sweepRun();

/** EventBridge schedule target: sweeps the fleet for silent hosts for one run (core/use-cases/sweep-silent-hosts.ts). */
export const handler = async (): Promise<void> => {
  const outcome = await runSilentHostSweep(deps, run);
  logger.info('silent-host sweep run ended', { ...outcome });
};
