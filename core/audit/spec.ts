import { z } from 'zod';

/**
 * The specification (docs/audit.md, "The spec format"): what each component type must do, one
 * clause per promise. `docs/spec.schema.json` is this schema as JSON Schema
 * (`npx tsx core/audit/write-spec-schema.ts`).
 */
export const COMPONENT_TYPES = ['storage-host', 'volume-copy', 'volume', 'bucket', 'table', 'function-role'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

export const SEVERITIES = ['security', 'durability', 'performance', 'hygiene'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CLAUSE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;
/** The longest a clause may wait for its next assertion: a day. */
export const MAX_DEADLINE_SECONDS = 86_400;

const scalar = z.union([z.string().max(256), z.number(), z.boolean()]);
export type Scalar = z.infer<typeof scalar>;

const regexSource = z
  .string()
  .min(1)
  .max(512)
  .refine((source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

/** How an observed value is judged; `expected` in an assertion is this check's words. */
export const CheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('equals'), value: scalar }).describe('the observed value equals `value`'),
  z
    .strictObject({ kind: z.literal('equals-committed'), field: z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/).max(64) })
    .describe("the observed value equals the component's committed value `field` (e.g. a copy's committed IOPS)"),
  z
    .strictObject({ kind: z.literal('range'), min: z.number().optional(), max: z.number().optional() })
    .refine((check) => check.min !== undefined || check.max !== undefined, 'a range needs min or max')
    .refine((check) => check.min === undefined || check.max === undefined || check.min <= check.max, 'a range needs min <= max')
    .describe('the observed number is within [min, max]'),
  z.strictObject({ kind: z.literal('set'), values: z.array(scalar).min(1).max(64) }).describe('the observed value is one of `values`'),
  z
    .strictObject({ kind: z.literal('includes'), values: z.array(z.string().max(256)).min(1).max(64) })
    .describe('the observed list holds every one of `values`'),
  z.strictObject({ kind: z.literal('regex'), pattern: regexSource }).describe('the observed text matches `pattern`'),
  z.strictObject({ kind: z.literal('present') }).describe('the observed value exists (not null, not empty)'),
]);
export type Check = z.infer<typeof CheckSchema>;

export const ClauseSchema = z.strictObject({
  id: z.string().regex(CLAUSE_ID_PATTERN, 'a clause id like copy-throttle-equals-committed-iops'),
  title: z.string().min(1).max(200),
  componentType: z.enum(COMPONENT_TYPES),
  /** What is observed, as a name asserters know (`copy.throttle.iops-total`); an asserter that knows no such property stays silent. */
  property: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/, 'a dotted property like copy.throttle.iops-total').max(100),
  /** How the asserter observes it, in words (`qmp:qom-get … limits.iops-total`). */
  observe: z.string().min(1).max(400),
  check: CheckSchema,
  severity: z.enum(SEVERITIES),
  /** An assertion older than this, or none, makes the clause SILENT for the component. */
  deadlineSeconds: z.number().int().min(10).max(MAX_DEADLINE_SECONDS),
  rationale: z.string().min(1).max(1000),
});
export type Clause = z.infer<typeof ClauseSchema>;

const uniqueIds = (clauses: readonly Clause[]) => new Set(clauses.map((clause) => clause.id)).size === clauses.length;

/** The document an operator writes and `GET /specs/{version}` answers (without its history). */
export const SpecDocumentSchema = z.strictObject({
  clauses: z.array(ClauseSchema).max(500).refine(uniqueIds, 'clause ids must be unique'),
});
export type SpecDocument = z.infer<typeof SpecDocumentSchema>;

/** One change of a version's change log. */
export const SpecChangeSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), clause: ClauseSchema }),
  z.strictObject({ op: z.literal('remove'), clauseId: z.string().regex(CLAUSE_ID_PATTERN) }),
  z.strictObject({ op: z.literal('modify'), clause: ClauseSchema }),
]);
export type SpecChange = z.infer<typeof SpecChangeSchema>;

/** One immutable version: the clauses, who made it, when, why and how it differs from the one before. */
export interface SpecVersion {
  readonly version: number;
  readonly clauses: readonly Clause[];
  readonly author: string;
  readonly createdAt: string;
  readonly reason: string;
  readonly changes: readonly SpecChange[];
}

/** The clauses of a version that concern the given component types (what an agent fetches). */
export function clausesFor(spec: Pick<SpecVersion, 'clauses'>, types: readonly ComponentType[]): Clause[] {
  return spec.clauses.filter((clause) => types.includes(clause.componentType));
}
