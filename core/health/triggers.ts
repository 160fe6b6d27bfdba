import { z } from 'zod';
import { HEALTH_LEVELS, isAtOrBelow, type HealthLevel } from './health-level';

/**
 * What opens an event (docs/health.md, "Triggers"); configured per deployment (the health
 * stack's `triggers`), defaults below.
 */
export const TriggerSettingsSchema = z.strictObject({
  /** A component at this level or worse opens an event. */
  healthAtOrBelow: z.enum(HEALTH_LEVELS).default('red'),
  /** This many correlated comments on one component within the window open an event. */
  correlatedComments: z.number().int().min(1).max(1000).default(3),
  correlationWindowMinutes: z.number().int().min(1).max(24 * 60).default(30),
  /** One comment whose correlation with a component reaches this score opens an event. */
  correlationScoreAtLeast: z.number().min(0).max(1).default(0.95),
  /** A component must stay green this long before its event closes (flapping is folded into the open event). */
  closeAfterGreenSeconds: z.number().int().min(0).max(86_400).default(300),
});
export type TriggerSettings = z.infer<typeof TriggerSettingsSchema>;
export const DEFAULT_TRIGGERS: TriggerSettings = TriggerSettingsSchema.parse({});

export type TriggerKind = 'health' | 'correlated-comments' | 'correlation-score';

export interface Trigger {
  readonly kind: TriggerKind;
  readonly componentId: string;
  readonly reasons: readonly string[];
}

/** What is known about one component for the trigger check. */
export interface TriggerInput {
  readonly componentId: string;
  readonly level: HealthLevel;
  readonly healthReasons: readonly string[];
  /** Correlation scores of the correlated comments on it within the window. */
  readonly correlatedScores: readonly number[];
}

/**
 * The triggers that fire for a component (empty: none), the health one first. Comments fire only
 * while the component is not green: they tell what is wrong, so once it is green again they
 * neither hold its event open (it closes after closeAfterGreenSeconds) nor open a new one while
 * they are still within the correlation window.
 */
export function triggersFor(input: TriggerInput, settings: TriggerSettings): Trigger[] {
  const fired: Trigger[] = [];
  const { componentId } = input;
  if (isAtOrBelow(input.level, settings.healthAtOrBelow)) {
    fired.push({ kind: 'health', componentId, reasons: [`${componentId} is ${input.level}`, ...input.healthReasons] });
  }
  if (input.level === 'green') return fired;
  if (input.correlatedScores.length >= settings.correlatedComments) {
    fired.push({
      kind: 'correlated-comments',
      componentId,
      reasons: [`${input.correlatedScores.length} correlated comments within ${settings.correlationWindowMinutes} min (trigger: ${settings.correlatedComments})`],
    });
  }
  const best = Math.max(0, ...input.correlatedScores);
  if (best >= settings.correlationScoreAtLeast) {
    fired.push({ kind: 'correlation-score', componentId, reasons: [`a comment correlates at ${best} (trigger: ${settings.correlationScoreAtLeast})`] });
  }
  return fired;
}
