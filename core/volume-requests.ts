import { z } from 'zod';
import { iopsProblem, IOPS_RANGE } from './iops-range';
import { ATTACHMENT_ID_PATTERN, VOLUME_ID_PATTERN } from './ids';
import { VOLUME_TYPES } from './volume';
import { VolumeStatus } from './volume-status';
import { SnapshotIdSchema } from './snapshots/snapshot-requests';

export const MAX_SIZE_GIB = 16384;
const LOCATION = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'location must be 1-64 lower-case letters, digits or dashes');

export const VolumeIdSchema = z.string().regex(VOLUME_ID_PATTERN, 'volume ids look like vol-0123456789abcdef0');
export const AttachmentIdSchema = z.string().regex(ATTACHMENT_ID_PATTERN, 'attachment ids look like att-0123456789ab');

export const CreateVolumeRequestSchema = z
  .strictObject({
    sizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB),
    type: z.enum(VOLUME_TYPES),
    iops: z.number().int().positive().optional(),
    location: LOCATION,
    /** Restore: the new volume holds this completed snapshot's data (sizeGiB at least the snapshot's; docs/snapshots.md, "Restore"). */
    snapshotId: SnapshotIdSchema.optional(),
    clientToken: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'clientToken must be 1-64 letters, digits, _ or -').optional(),
  })
  .superRefine((request, ctx) => {
    const problem = iopsProblem(request.type, request.sizeGiB, request.iops ?? IOPS_RANGE[request.type].default);
    if (problem) ctx.addIssue({ code: 'custom', path: ['iops'], message: problem, input: request.iops });
  })
  .transform((request) => ({ ...request, iops: request.iops ?? IOPS_RANGE[request.type].default }));
export type CreateVolumeRequest = z.infer<typeof CreateVolumeRequestSchema>;

export const ListVolumesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().max(2048).optional(),
  status: z.enum(Object.values(VolumeStatus) as [VolumeStatus, ...VolumeStatus[]]).optional(),
  location: LOCATION.optional(),
  type: z.enum(VOLUME_TYPES).optional(),
});
export type ListVolumesQuery = z.infer<typeof ListVolumesQuerySchema>;
