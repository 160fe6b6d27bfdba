import type { Correlation } from './comment';
import type { HealthLevel } from './health-level';
import { symptomsIn } from './symptom-words';
import { kindOf, type ComponentKind } from './topology';

/** Weights of the correlation score (docs/health.md, "Correlation"); a comment correlates at CORRELATION_THRESHOLD. */
export const CORRELATION_WEIGHTS = {
  red: 0.5,
  yellow: 0.35,
  symptom: 0.3,
  namedVolume: 0.2,
  ownVolume: 0.1,
} as const;
export const CORRELATION_THRESHOLD = 0.6;

/** One component a comment may be about: a dependency of the tenant's volumes (`tenant-dependencies.ts`), with the worst level it had in the window. */
export interface CandidateComponent {
  readonly componentId: string;
  /** The tenant's volumes whose copies depend on it. */
  readonly volumeIds: readonly string[];
  /** The hosts of those copies (the component itself, or its disk, rack or zone). */
  readonly hostIds: readonly string[];
  /** The worst level it had within the correlation window (its history), now included. */
  readonly worstLevelInWindow: HealthLevel;
}

/**
 * The correlation of a comment with each candidate component: the component's data in the
 * time window (red or yellow), the comment's words (a storage symptom), and whether the comment
 * names one of the volumes that depend on the component. Without a non-green level in the
 * window no score reaches the threshold: a comment alone is noise.
 */
export function correlate(text: string, volumeId: string | undefined, windowMinutes: number, candidates: readonly CandidateComponent[]): Correlation[] {
  const symptoms = symptomsIn(text);
  return candidates
    .map((candidate) => {
      const reasons: string[] = [];
      let score = 0;
      if (candidate.worstLevelInWindow !== 'green') {
        score += CORRELATION_WEIGHTS[candidate.worstLevelInWindow];
        reasons.push(`${candidate.componentId} was ${candidate.worstLevelInWindow} within the last ${windowMinutes} min`);
      }
      if (symptoms.length > 0) {
        score += CORRELATION_WEIGHTS.symptom;
        reasons.push(`the text names ${symptoms.join(', ')}`);
      }
      if (volumeId !== undefined && candidate.volumeIds.includes(volumeId)) {
        score += CORRELATION_WEIGHTS.namedVolume;
        reasons.push(`the comment names ${volumeId}, which depends on ${candidate.componentId}${through(candidate)}`);
      } else if (candidate.volumeIds.length > 0) {
        score += CORRELATION_WEIGHTS.ownVolume;
        reasons.push(`the tenant's ${candidate.volumeIds.join(', ')} depend on ${candidate.componentId}${through(candidate)}`);
      }
      return { componentId: candidate.componentId, score: Math.round(Math.min(1, score) * 100) / 100, reasons };
    })
    .sort((a, b) => b.score - a.score || a.componentId.localeCompare(b.componentId));
}

const through = (candidate: CandidateComponent): string =>
  kindOf(candidate.componentId) === 'host' ? '' : ` through copies on ${candidate.hostIds.join(', ')}`;

/** Which kind a comment counts on when components tie: the host before its disk (a disk is red when its host is), then rack, then zone. */
const COUNTING_ORDER: Record<ComponentKind, number> = { host: 0, disk: 1, rack: 2, zone: 3 };

/**
 * The one correlation a correlated comment counts on for the triggers (docs/health.md, "Triggers"):
 * its highest score, and among equal scores the narrowest component. A comment from a tenant on a
 * red host correlates with its rack and zone too, but counts on the host; one from a tenant whose
 * host is fine in a yellow rack counts on the rack. Undefined for noise.
 */
export function countedCorrelation(correlations: readonly Correlation[]): Correlation | undefined {
  return correlations
    .filter((c) => c.score >= CORRELATION_THRESHOLD)
    .sort((a, b) => b.score - a.score || COUNTING_ORDER[kindOf(a.componentId)] - COUNTING_ORDER[kindOf(b.componentId)] || a.componentId.localeCompare(b.componentId))[0];
}

export const isCorrelated = (correlations: readonly Correlation[]): boolean => correlations.some((c) => c.score >= CORRELATION_THRESHOLD);
