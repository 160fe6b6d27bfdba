import { z } from 'zod';
import { CLAUSE_ID_PATTERN, COMPONENT_TYPES } from './spec';

export const ASSERTION_RESULTS = ['PASS', 'FAIL'] as const;
/** Most assertions one `POST /assertions` may carry (a host with 50 copies and 8 copy clauses sends 400 plus its own). */
export const MAX_ASSERTIONS_PER_BATCH = 500;
const COMPONENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:/._-]{0,199}$/;

/** One assertion: a component's verdict on one clause of the version it enforces. */
export const AssertionSchema = z.strictObject({
  componentId: z.string().regex(COMPONENT_ID_PATTERN, 'a component id of letters, digits and :/._-'),
  componentType: z.enum(COMPONENT_TYPES),
  clauseId: z.string().regex(CLAUSE_ID_PATTERN),
  specVersion: z.number().int().min(1),
  result: z.enum(ASSERTION_RESULTS),
  observed: z.union([z.string().max(1024), z.number(), z.boolean(), z.null(), z.array(z.string().max(256)).max(64)]),
  expected: z.string().max(1024),
  at: z.iso.datetime({ offset: true }),
});
export type Assertion = z.infer<typeof AssertionSchema>;

export const AssertionBatchSchema = z.strictObject({
  assertions: z.array(AssertionSchema).min(1).max(MAX_ASSERTIONS_PER_BATCH),
});
