import { evaluateAutoAdjust } from '../../core/use-cases/evaluate-auto-adjust';
import { hostRepository, modificationRepository, modificationWorkflows, now, policyVolumes, volumeRepository } from '../shared/composition';
import { logger } from '../shared/logger';

const deps = {
  volumes: volumeRepository(),
  modifications: modificationRepository(),
  hosts: hostRepository(),
  workflows: modificationWorkflows(),
  policyVolumes: policyVolumes(),
  now,
};

/** EventBridge, every minute: requests the grows the volumes' policies ask for (docs/modification.md). */
export const handler = async () => {
  const outcome = await evaluateAutoAdjust(deps);
  logger.info('auto-adjust evaluated', { ...outcome });
  return outcome;
};
