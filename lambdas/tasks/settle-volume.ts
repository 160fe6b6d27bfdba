import { z } from 'zod';
import { settleVolume } from '../../core/use-cases/settle-volume';
import { VolumeIdSchema } from '../../core/volume-requests';
import { WorkflowFailureSchema } from '../../core/workflow-failure';
import { now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const volumes = volumeRepository();

const SettleVolumeInputSchema = z.object({
  volumeId: VolumeIdSchema,
  outcome: z.enum(['copies-created', 'creation-failed', 'copies-deleted', 'deletion-failed', 'replica-rebuilt', 'rebuild-failed']),
  failure: WorkflowFailureSchema.optional(),
});

export const handler = taskHandler(SettleVolumeInputSchema, async ({ volumeId, outcome, failure }) => {
  const volume = await settleVolume(volumes, volumeId, outcome, failure, now());
  return { volumeId, status: volume.status, statusReason: volume.statusReason };
});
