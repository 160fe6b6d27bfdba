import { z } from 'zod';
import { HostIdSchema } from '../../core/host-requests';
import { placeMirrorReplacement } from '../../core/use-cases/place-replacement-mirror';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostRepository, keyVault, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), hosts: hostRepository(), keys: keyVault(), now };

export const handler = taskHandler(z.object({ volumeId: VolumeIdSchema, lostHostId: HostIdSchema }), async ({ volumeId, lostHostId }) => ({
  command: await placeMirrorReplacement(deps, volumeId, lostHostId),
}));
