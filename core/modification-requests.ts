import { z } from 'zod';
import { MODIFICATION_ID_PATTERN } from './modification-id';
import { VOLUME_TYPES } from './volume';
import { MAX_SIZE_GIB } from './volume-requests';

const LOCATION = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'location must be 1-64 lower-case letters, digits or dashes');

export const ModificationIdSchema = z.string().regex(MODIFICATION_ID_PATTERN, 'modification ids look like mod-0123456789-0123abcd');

/** `POST /volumes/{id}/modifications`: at least one parameter; limits as for create (core/modification-target.ts checks the rest). */
export const ModifyVolumeRequestSchema = z
  .strictObject({
    sizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB).optional(),
    iops: z.number().int().positive().optional(),
    type: z.enum(VOLUME_TYPES).optional(),
    location: LOCATION.optional(),
    /** Move the copies on these hosts elsewhere (health remediation, docs/health.md); no other change needed. */
    awayFromHostIds: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'host ids are 3-63 lower-case letters, digits or dashes')).min(1).max(4).optional(),
    allowShrink: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    clientToken: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'clientToken must be 1-64 letters, digits, _ or -').optional(),
  })
  .refine((request) => [request.sizeGiB, request.iops, request.type, request.location, request.awayFromHostIds].some((value) => value !== undefined), {
    message: 'name at least one of sizeGiB, iops, type, location, awayFromHostIds',
  });
export type ModifyVolumeRequest = z.infer<typeof ModifyVolumeRequestSchema>;

export const ListModificationsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  nextToken: z.string().max(2048).optional(),
});
export type ListModificationsQuery = z.infer<typeof ListModificationsQuerySchema>;
