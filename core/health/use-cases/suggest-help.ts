import type { HealthStore } from '../ports';
import { suggest, type HelpSuggestRequest, type Suggestion } from '../help-suggest';
import { moveRecommendation } from '../remediation';

/**
 * The help box's answer (docs/health.md, "Help box"): the tenant's open events matching the text
 * typed so far, each with the call that moves the affected copies off the component. One query of
 * the tenant's event links and one read per open event, so it answers well within 100 ms.
 */
export async function suggestHelp(store: HealthStore, tenantId: string, request: HelpSuggestRequest): Promise<Suggestion[]> {
  const open = await store.openEventsOfTenant(tenantId);
  return suggest(request, open, tenantId, (event, volumeId) => {
    const hostId = event.componentId.startsWith('host:') ? event.componentId.slice('host:'.length) : undefined;
    return hostId ? moveRecommendation(volumeId, [hostId], event.componentId) : undefined;
  });
}
