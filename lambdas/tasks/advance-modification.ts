import { z } from 'zod';
import { ModificationIdSchema } from '../../core/modification-requests';
import { advanceModification } from '../../core/use-cases/advance-modification';
import { VolumeIdSchema } from '../../core/volume-requests';
import { hostCommandQueue, hostRepository, modificationRepository, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), hosts: hostRepository(), commands: hostCommandQueue(), now };

const AdvanceInputSchema = z.object({
  volumeId: VolumeIdSchema,
  modificationId: ModificationIdSchema,
  /** The answered command's id and the host's result; absent on the first turn. */
  answered: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional(),
});

export const handler = taskHandler(AdvanceInputSchema, (input) =>
  advanceModification(deps, input.volumeId, input.modificationId, input.answered && input.result ? { commandId: input.answered, result: input.result } : undefined),
);
