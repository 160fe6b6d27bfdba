import { z } from 'zod';
import { CLAUSE_ID_PATTERN } from './spec';

/** A clause waived for one component until a time, with a reason (InSpec waivers). */
export const WaiverRequestSchema = z.strictObject({
  componentId: z.string().min(1).max(200),
  clauseId: z.string().regex(CLAUSE_ID_PATTERN),
  until: z.iso.datetime({ offset: true }),
  reason: z.string().min(1).max(500),
});
export type WaiverRequest = z.infer<typeof WaiverRequestSchema>;

export interface Waiver extends WaiverRequest {
  readonly author: string;
  readonly createdAt: string;
}

/** The waiver in force for (component, clause) at `now`, if any: expired waivers hide nothing. */
export function activeWaiver(waivers: readonly Waiver[], componentId: string, clauseId: string, now: Date): Waiver | undefined {
  return waivers.find((waiver) => waiver.componentId === componentId && waiver.clauseId === clauseId && Date.parse(waiver.until) > now.getTime());
}
