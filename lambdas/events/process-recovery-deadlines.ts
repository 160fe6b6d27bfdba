import { processRecoveryDeadlines } from '../../core/recovery/use-cases/process-recovery-deadlines';
import { logger } from '../shared/logger';
import { recoveryDecisionDeps } from '../shared/recovery-composition';

const deps = recoveryDecisionDeps();

/** EventBridge schedule target: quarantined copies whose period ended, and recoveries nobody decided in time (docs/recovery.md). */
export const handler = async (): Promise<object> => {
  const pass = await processRecoveryDeadlines(deps);
  logger.info('recovery deadlines processed', { ...pass });
  return pass;
};
