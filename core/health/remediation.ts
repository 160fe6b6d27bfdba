import { z } from 'zod';
import { VOLUME_ID_PATTERN } from '../ids';
import type { RecommendedAction } from './health-event';

export const REMEDIATION_ACTIONS = ['move', 'recommend', 'none'] as const;
export type RemediationAction = (typeof REMEDIATION_ACTIONS)[number];

const Hour = z.number().int().min(0).max(23);
const RuleSchema = z.strictObject({
  /** What to do for a volume whose copy depends on a red component. */
  onComponentRed: z.enum(REMEDIATION_ACTIONS),
  /** Also act once this many correlated comments opened or joined the event (the component need not be red). */
  afterCorrelatedComments: z.number().int().min(1).max(1000).optional(),
  /** UTC hours [startHour, endHour) when no copy is moved automatically: a `move` becomes a `recommend`. */
  quietHours: z.strictObject({ startHour: Hour, endHour: Hour }).refine((q) => q.startHour !== q.endHour, { message: 'quietHours needs startHour ≠ endHour' }).optional(),
});
export type RemediationRule = z.infer<typeof RuleSchema>;

/** `PUT /settings/remediation`: the tenant's rule, and rules for single volumes that override it. */
export const RemediationSettingsSchema = z.strictObject({
  default: RuleSchema,
  volumes: z.record(z.string().regex(VOLUME_ID_PATTERN, 'keys of volumes are volume ids'), RuleSchema).optional(),
}).refine((s) => Object.keys(s.volumes ?? {}).length <= 100, { message: 'at most 100 volume rules', path: ['volumes'] });
export type RemediationSettings = z.infer<typeof RemediationSettingsSchema>;

/** A tenant that never set anything is told, with the call it could run, and nothing is done for it. */
export const DEFAULT_REMEDIATION: RemediationSettings = { default: { onComponentRed: 'recommend' } };

export const ruleFor = (settings: RemediationSettings, volumeId: string): RemediationRule => settings.volumes?.[volumeId] ?? settings.default;

const inQuietHours = (rule: RemediationRule, now: Date): boolean => {
  if (!rule.quietHours) return false;
  const hour = now.getUTCHours();
  const { startHour, endHour } = rule.quietHours;
  return startHour < endHour ? hour >= startHour && hour < endHour : hour >= startHour || hour < endHour;
};

/**
 * What to do for one affected volume (docs/health.md, "Remediation"): the volume's rule (or the
 * tenant's) applies when the component is red, or when the correlated comments reached the rule's
 * `afterCorrelatedComments`; quiet hours turn a move into a recommendation. `none` otherwise.
 */
export function decideRemediation(
  rule: RemediationRule,
  situation: { readonly red: boolean; readonly correlatedComments: number; readonly now: Date },
): { action: RemediationAction; reason: string } {
  const byComments = rule.afterCorrelatedComments !== undefined && situation.correlatedComments >= rule.afterCorrelatedComments;
  if (!situation.red && !byComments) return { action: 'none', reason: 'the component is not red and the correlated comments are below the setting' };
  const why = situation.red ? 'the component is red' : `${situation.correlatedComments} correlated comments (setting: ${rule.afterCorrelatedComments})`;
  if (rule.onComponentRed === 'move' && inQuietHours(rule, situation.now)) {
    return { action: 'recommend', reason: `${why}; quiet hours ${rule.quietHours?.startHour}-${rule.quietHours?.endHour} UTC: recommended instead of moved` };
  }
  return { action: rule.onComponentRed, reason: `${why}; setting onComponentRed: ${rule.onComponentRed}` };
}

/** The exact call that moves a volume's copies off the hosts of a component (POST /volumes/{id}/modifications). */
export function moveRecommendation(volumeId: string, hostIds: readonly string[], componentId: string): RecommendedAction {
  return {
    method: 'POST',
    path: `/volumes/${volumeId}/modifications`,
    body: { awayFromHostIds: [...hostIds] },
    why: `moves the copies of ${volumeId} off ${componentId}`,
  };
}
