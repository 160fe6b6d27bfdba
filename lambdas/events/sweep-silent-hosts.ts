import { runSilentHostSweep } from '../../core/use-cases/sweep-silent-hosts';
import {
  failoverWorkflows,
  heartbeatTimeoutSeconds,
  hostCommandQueue,
  hostCommandTimeoutSeconds,
  hostRepository,
  hostSweepStore,
  now,
  sleep,
  sweepRun,
  taskCallbacks,
  volumeRepository,
} from '../shared/composition';
import { logger } from '../shared/logger';

const deps = {
  sweep: hostSweepStore(),
  hosts: hostRepository(),
  volumes: volumeRepository(),
  failovers: failoverWorkflows(),
  commands: hostCommandQueue(),
  callbacks: taskCallbacks(),
  now,
  sleep,
  heartbeatTimeoutSeconds: heartbeatTimeoutSeconds(),
  commandTimeoutSeconds: hostCommandTimeoutSeconds(),
};
const run = sweepRun();

/** EventBridge schedule target: sweeps the fleet for silent hosts and stalled host tasks for one run (core/use-cases/sweep-silent-hosts.ts). */
export const handler = async (): Promise<void> => {
  const outcome = await runSilentHostSweep(deps, run);
  logger.info('silent-host sweep run ended', { ...outcome });
};
