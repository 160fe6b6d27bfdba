import { z } from 'zod';
import { VOLUME_ID_PATTERN } from '../ids';
import type { HealthEvent, RecommendedAction } from './health-event';
import { symptomsIn } from './symptom-words';

export const HelpSuggestRequestSchema = z.strictObject({
  text: z.string().max(2000, 'text may be at most 2000 characters'),
  volumeId: z.string().regex(VOLUME_ID_PATTERN, 'volumeId must look like vol-…').optional(),
});
export type HelpSuggestRequest = z.infer<typeof HelpSuggestRequestSchema>;

/** Words that say the text is about the customer's storage at all. */
const ABOUT_STORAGE = [/\bvolumes?\b/, /\bdisks?\b/, /\bstorage\b/, /\bnbd\b/, /\battach/, /\bwrites?\b/, /\breads?\b/, /\bio\b/, /\bvol-[0-9a-f]/];

export interface Suggestion {
  readonly eventId: string;
  readonly eventTypeCode: string;
  readonly componentId: string;
  readonly description: string;
  readonly startTime: string;
  readonly volumeIds: readonly string[];
  readonly why: readonly string[];
  readonly remediation: readonly RecommendedAction[];
  readonly automaticActions: readonly { readonly volumeId: string; readonly action: string; readonly outcome: string }[];
}

/**
 * The open events that match what the customer has typed so far (docs/health.md, "Help box"): an
 * event of one of the tenant's volumes (or of the volume named) matches as soon as the text names
 * a storage symptom or is about their storage; other text matches nothing. Events arrive already
 * limited to the tenant's own volumes.
 */
export function suggest(request: HelpSuggestRequest, openEvents: readonly HealthEvent[], tenantId: string, recommendations: (event: HealthEvent, volumeId: string) => RecommendedAction | undefined): Suggestion[] {
  const lower = request.text.toLowerCase();
  const symptoms = symptomsIn(lower);
  const about = ABOUT_STORAGE.some((pattern) => pattern.test(lower));
  if (symptoms.length === 0 && !about) return [];
  return openEvents.flatMap((event) => {
    const volumeIds = event.affectedEntities
      .filter((entity) => entity.tenantId === tenantId && entity.statusCode !== 'RESOLVED' && (request.volumeId === undefined || entity.entityValue === request.volumeId))
      .map((entity) => entity.entityValue);
    if (volumeIds.length === 0) return [];
    const why = [
      ...(symptoms.length > 0 ? [`you describe ${symptoms.join(', ')}`] : ['you ask about your storage']),
      `${volumeIds.join(', ')} depend on ${event.componentId}, which has an open event`,
    ];
    return [
      {
        eventId: event.eventId,
        eventTypeCode: event.eventTypeCode,
        componentId: event.componentId,
        description: event.description,
        startTime: event.startTime,
        volumeIds,
        why,
        remediation: volumeIds.flatMap((volumeId) => recommendations(event, volumeId) ?? []),
        automaticActions: event.actions.filter((a) => a.tenantId === tenantId).map(({ volumeId, action, outcome }) => ({ volumeId, action, outcome })),
      },
    ];
  });
}
