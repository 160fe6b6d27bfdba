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
  /** With `replica-rebuilt`: the mirror the rebuild synchronised (its start-replication command's). */
  synced: z.object({ mirrorCopyId: z.string().min(1).max(64), generation: z.number().int().min(1) }).optional(),
});

export const handler = taskHandler(SettleVolumeInputSchema, async ({ volumeId, outcome, failure, synced }) => {
  const volume = await settleVolume(volumes, volumeId, outcome, failure, now(), synced);
  return { volumeId, status: volume.status, statusReason: volume.statusReason };
});
