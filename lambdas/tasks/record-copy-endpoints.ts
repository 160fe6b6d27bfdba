import { z } from 'zod';
import { recordCopyEndpoints } from '../../core/use-cases/record-copy-endpoints';
import { HostIdSchema } from '../../core/host-requests';
import { VolumeIdSchema } from '../../core/volume-requests';
import { now, volumeRepository } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const volumes = volumeRepository();

const BuiltCopySchema = z.object({
  hostId: HostIdSchema,
  copyId: z.string().min(1),
  nbd: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535), exportName: z.string().min(1) }),
});

const RecordCopyEndpointsInputSchema = z.object({
  volumeId: VolumeIdSchema,
  built: z.union([BuiltCopySchema, z.array(BuiltCopySchema)]),
  sync: z.enum(['full', 'none']),
  requireReplication: z.boolean().default(false),
});

export const handler = taskHandler(RecordCopyEndpointsInputSchema, async ({ volumeId, built, sync, requireReplication }) => ({
  command: await recordCopyEndpoints(volumes, volumeId, Array.isArray(built) ? built : [built], sync, now(), requireReplication),
}));
