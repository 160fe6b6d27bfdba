import { z } from 'zod';
import { requireOperator } from '../../core/diagnostics/operator';
import { RuleSchema } from '../../core/diagnostics/rule';
import { putKnownIssue } from '../../core/diagnostics/use-cases/known-issues';
import { hostPrincipalArnPrefix, now } from '../shared/composition';
import { callerOf, parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { knownIssueStore, operatorPrincipalArnPrefix } from '../shared/report-composition';

const issues = knownIssueStore();
/** A private rule names the report owner it is for (`tenant-<id>` or `host-<id>`); a global one applies to every report. */
const PutKnownIssueSchema = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('global'), rule: RuleSchema }),
  z.strictObject({ scope: z.literal('private'), owner: z.string().regex(/^(tenant|host)-[A-Za-z0-9:-]{1,140}$/), rule: RuleSchema }),
]);

export const handler = httpHandler(async (event) => {
  requireOperator(callerOf(event, hostPrincipalArnPrefix()).principalArn, operatorPrincipalArnPrefix());
  refuseQuery(event);
  const request = parseBody(event, PutKnownIssueSchema);
  const owner = request.scope === 'private' ? (request.owner as `tenant-${string}`) : undefined;
  return json(201, await putKnownIssue(issues, request.rule, request.scope, owner, now()));
});
