import { z } from 'zod';
import { beginFailover } from '../../core/use-cases/begin-failover';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostRepository, keyVault, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), hosts: hostRepository(), commands: hostCommandQueue(), keys: keyVault(), now };

export const handler = taskHandler(
  z.object({ volumeId: VolumeIdSchema, lostCopyId: z.string().min(1), reason: z.string().min(1).max(1024) }),
  async ({ volumeId, lostCopyId, reason }) => beginFailover(deps, volumeId, lostCopyId, reason),
);
