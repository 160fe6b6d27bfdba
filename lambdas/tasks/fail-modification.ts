import { z } from 'zod';
import { ModificationIdSchema } from '../../core/modification-requests';
import { failModification, failReServe } from '../../core/use-cases/fail-modification';
import { VolumeIdSchema } from '../../core/volume-requests';
import { reasonFrom, WorkflowFailureSchema } from '../../core/workflow-failure';
import { hostCommandQueue, hostRepository, modificationRepository, now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { volumes: volumeRepository(), modifications: modificationRepository(), hosts: hostRepository(), commands: hostCommandQueue(), now };

const FailInputSchema = z.object({
  volumeId: VolumeIdSchema,
  modificationId: ModificationIdSchema,
  failure: WorkflowFailureSchema.optional(),
  /** Set by the workflow's `Re-serve failed`: what failed is the command that tells the quiesced primary to serve again. */
  reServeFailed: z.literal(true).optional(),
});

export const handler = taskHandler(FailInputSchema, (input) =>
  (input.reServeFailed ? failReServe : failModification)(deps, input.volumeId, input.modificationId, reasonFrom(input.failure)),
);
