/**
 * Health levels (docs/health.md, "Levels"): a score from 0 (down) to 100 (healthy) and the
 * level it falls in, with the reasons that took points off. Levels are ordered: green > yellow > red.
 */
export const HEALTH_LEVELS = ['green', 'yellow', 'red'] as const;
export type HealthLevel = (typeof HEALTH_LEVELS)[number];

/** The lowest score of each level: 80–100 green, 40–79 yellow, 0–39 red. */
export const LEVEL_FLOORS = { green: 80, yellow: 40, red: 0 } as const;

export interface Health {
  readonly level: HealthLevel;
  readonly score: number;
  readonly reasons: readonly string[];
}

export function levelOf(score: number): HealthLevel {
  if (score >= LEVEL_FLOORS.green) return 'green';
  if (score >= LEVEL_FLOORS.yellow) return 'yellow';
  return 'red';
}

/** How bad a level is: 0 green, 1 yellow, 2 red. */
export const severityOf = (level: HealthLevel): number => HEALTH_LEVELS.indexOf(level);

/** `level` is at `threshold` or worse. */
export const isAtOrBelow = (level: HealthLevel, threshold: HealthLevel): boolean => severityOf(level) >= severityOf(threshold);

/** The worse of two levels. */
export const worst = (a: HealthLevel, b: HealthLevel): HealthLevel => (severityOf(a) >= severityOf(b) ? a : b);

/** A health from penalties: each takes its points off 100 and gives its reason. */
export function healthFrom(penalties: readonly { readonly points: number; readonly reason: string }[]): Health {
  const score = Math.max(0, 100 - penalties.reduce((sum, penalty) => sum + penalty.points, 0));
  return { level: levelOf(score), score, reasons: penalties.map((penalty) => penalty.reason) };
}

export const HEALTHY: Health = { level: 'green', score: 100, reasons: [] };
