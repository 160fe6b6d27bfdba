import { HelpSuggestRequestSchema } from '../../core/health/help-suggest';
import { suggestHelp } from '../../core/health/use-cases/suggest-help';
import { hostPrincipalArnPrefix } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { customerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const store = healthStore();

export const handler = httpHandler(async (event) => {
  const { tenantId } = customerOf(event, hostPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, HelpSuggestRequestSchema);
  return json(200, { suggestions: await suggestHelp(store, tenantId, request) });
});
