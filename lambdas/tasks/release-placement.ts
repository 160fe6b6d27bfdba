import { z } from 'zod';
import { releasePlacement } from '../../core/use-cases/release-placement';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostRepository, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), hosts: hostRepository(), commands: hostCommandQueue(), now };

export const handler = taskHandler(
  z.object({ volumeId: VolumeIdSchema, cleanUpCopies: z.boolean() }),
  async ({ volumeId, cleanUpCopies }) => releasePlacement(deps, volumeId, cleanUpCopies),
);
