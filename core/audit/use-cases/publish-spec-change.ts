import type { SpecStore } from '../ports';
import type { SpecChange, SpecVersion } from '../spec';
import { nextSpecVersion } from '../spec-changes';

/** `POST /specs/changes`: the next version from the current one, stored only if nobody published in between. */
export async function publishSpecChange(
  specs: SpecStore,
  request: { changes: readonly SpecChange[]; reason: string },
  author: string,
  now: Date,
): Promise<SpecVersion> {
  const current = await specs.current();
  const next = nextSpecVersion(current, { ...request, author, at: now.toISOString() });
  await specs.publish(next);
  return next;
}
