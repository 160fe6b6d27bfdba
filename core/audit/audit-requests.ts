import { z } from 'zod';
import { COMPONENT_TYPES, SpecChangeSchema } from './spec';

/** `POST /specs/changes`. */
export const SpecChangesRequestSchema = z.strictObject({
  changes: z.array(SpecChangeSchema).min(1).max(100),
  reason: z.string().min(1).max(500),
});

/** A version in a path: a positive whole number. */
export const SpecVersionParameterSchema = z.coerce.number().int().min(1).max(1_000_000);

/** `GET /specs/current?componentTypes=volume-copy,storage-host`. */
export const CurrentSpecQuerySchema = z.strictObject({
  componentTypes: z
    .string()
    .max(200)
    .transform((text) => text.split(','))
    .pipe(z.array(z.enum(COMPONENT_TYPES)).min(1))
    .optional(),
});

export const ComplianceReportIdSchema = z.string().regex(/^cr-[0-9a-f-]{36}$/, 'a compliance report id like cr-<uuid>');
