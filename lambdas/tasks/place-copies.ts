import { z } from 'zod';
import { placeVolumeCopies } from '../../core/use-cases/place-volume-copies';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostRepository, keyVault, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), hosts: hostRepository(), keys: keyVault(), now };

export const handler = taskHandler(z.object({ volumeId: VolumeIdSchema }), async ({ volumeId }) => ({
  commands: await placeVolumeCopies(deps, volumeId),
}));
