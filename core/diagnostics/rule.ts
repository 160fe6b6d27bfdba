import { z } from 'zod';
import { LOG_NAMES } from './facts';

/**
 * The rule language (docs/diagnostics.md, "Rules"): a known issue, what it looks like in the
 * facts (`when`, a check tree), its cause and ranked solutions. Rules are JSON files in
 * `rules/known-issues/` (loaded at deploy) or posted by operators (`POST /known-issues`).
 */
export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;
const factName = z.string().regex(/^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_\-/]+)+$/, 'a fact name like df.maxUsedPercent');
const versionText = z.string().regex(/^\d+(\.\d+){0,3}$/, 'a dotted version like 5.10 or 1.2.3');

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

export type Check =
  | { readonly fact: string; readonly range: { readonly min?: number; readonly max?: number } }
  | { readonly fact: string; readonly equals: string | number | boolean }
  | { readonly fact: string; readonly present: boolean }
  | { readonly fact: string; readonly version: { readonly min?: string; readonly below?: string; readonly belowFact?: string } }
  | {
      readonly log: (typeof LOG_NAMES)[number] | 'any';
      readonly regex: string;
      readonly ignoreCase?: boolean;
      readonly minCount?: number;
      readonly withinMinutes?: number;
    }
  | { readonly all: readonly Check[] }
  | { readonly any: readonly Check[] }
  | { readonly not: Check };

export const CheckSchema: z.ZodType<Check> = z.lazy(() =>
  z.union([
    z.strictObject({
      fact: factName,
      range: z
        .strictObject({ min: z.number().optional(), max: z.number().optional() })
        .refine((range) => range.min !== undefined || range.max !== undefined, 'a range needs min or max'),
    }),
    z.strictObject({ fact: factName, equals: z.union([z.string().max(256), z.number(), z.boolean()]) }),
    z.strictObject({ fact: factName, present: z.boolean() }),
    z.strictObject({
      fact: factName,
      version: z
        .strictObject({ min: versionText.optional(), below: versionText.optional(), belowFact: factName.optional() })
        .refine((version) => Object.keys(version).length > 0, 'a version range needs min, below or belowFact'),
    }),
    z.strictObject({
      log: z.enum([...LOG_NAMES, 'any']),
      regex: regexSource,
      ignoreCase: z.boolean().optional(),
      minCount: z.number().int().min(1).max(1_000_000).optional(),
      withinMinutes: z.number().int().min(1).max(525_600).optional(),
    }),
    z.strictObject({ all: z.array(CheckSchema).min(1).max(32) }),
    z.strictObject({ any: z.array(CheckSchema).min(1).max(32) }),
    z.strictObject({ not: CheckSchema }),
  ]),
);

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const SolutionSchema = z.strictObject({
  title: z.string().min(1).max(200),
  steps: z.array(z.string().min(1).max(1000)).min(1).max(20),
  commands: z.array(z.string().min(1).max(500)).max(20).optional(),
  links: z.array(z.url().max(500)).max(10).optional(),
});

/** A rule as written: `solutions` in rank order (the first is tried first). */
export const RuleSchema = z.strictObject({
  id: z.string().regex(RULE_ID_PATTERN, 'lower-case letters, digits and dashes, 3-64 characters'),
  title: z.string().min(1).max(200),
  severity: z.enum(SEVERITIES),
  appliesTo: z.array(z.enum(['host', 'instance', 'offline'])).min(1).max(3).optional(),
  cause: z.string().min(1).max(2000),
  when: CheckSchema,
  solutions: z.array(SolutionSchema).min(1).max(10),
});
export type Rule = z.infer<typeof RuleSchema>;

/** A rule as stored: scope and version added by the store. */
export interface KnownIssue extends Rule {
  readonly version: number;
  readonly scope: 'global' | 'private';
  /** The tenant a private rule belongs to (matched only against that tenant's reports). */
  readonly owner?: string;
  readonly updatedAt: string;
}

/** How deep a check tree may nest (keeps evaluation and validation bounded). */
export const MAX_CHECK_DEPTH = 8;

export function checkDepth(check: Check): number {
  if ('all' in check) return 1 + Math.max(...check.all.map(checkDepth));
  if ('any' in check) return 1 + Math.max(...check.any.map(checkDepth));
  if ('not' in check) return 1 + checkDepth(check.not);
  return 1;
}
