import type { RecoveryPolicy } from './recovery-policy';

/** The hosts answered now, each with the moment its place lapses unless it reports again. */
export type BatchSlots = Readonly<Record<string, string>>;

export type Admission =
  | { readonly admitted: true; readonly slots: BatchSlots }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly inFlight: number };

/**
 * Throttled mass recovery (docs/recovery.md, "Mass recovery"): at most `hostBatch` hosts hold a
 * place at a time. A host that holds one keeps it (renewed by each page it sends); a lapsed place
 * is free again, so a host that died mid-report never blocks the others for longer than
 * `slotSeconds`. Everyone else is told to come back after `retryAfterSeconds`.
 */
export function admitHost(slots: BatchSlots, hostId: string, now: Date, policy: Pick<RecoveryPolicy, 'hostBatch' | 'slotSeconds' | 'retryAfterSeconds'>): Admission {
  const live = Object.fromEntries(Object.entries(slots).filter(([, until]) => Date.parse(until) > now.getTime()));
  const until = new Date(now.getTime() + policy.slotSeconds * 1000).toISOString();
  if (hostId in live || Object.keys(live).length < policy.hostBatch) return { admitted: true, slots: { ...live, [hostId]: until } };
  return { admitted: false, retryAfterSeconds: policy.retryAfterSeconds, inFlight: Object.keys(live).length };
}

/** The slots without `hostId` (its last page was answered). */
export function releaseHost(slots: BatchSlots, hostId: string): BatchSlots {
  return Object.fromEntries(Object.entries(slots).filter(([id]) => id !== hostId));
}
