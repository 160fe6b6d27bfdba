import { z } from 'zod';
import { HostIdSchema } from '../../core/host-requests';
import { attemptMirrorRebuild } from '../../core/use-cases/attempt-mirror-rebuild';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostRepository, keyVault, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), hosts: hostRepository(), commands: hostCommandQueue(), keys: keyVault(), now };

export const handler = taskHandler(
  z.object({
    volumeId: VolumeIdSchema,
    lostHostId: HostIdSchema,
    attempt: z.number().int().min(1),
    firstAttempt: z.number().int().min(1),
    attemptsPerExecution: z.number().int().min(1),
    owner: z.string().min(1).max(80),
  }),
  async ({ volumeId, lostHostId, ...number }) => attemptMirrorRebuild(deps, volumeId, lostHostId, number),
);
