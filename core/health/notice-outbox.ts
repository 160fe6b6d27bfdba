import type { Notice } from './health-event';

/**
 * The notice outbox (docs/health.md, "Notices"): a notice is recorded together with an outbox
 * entry that stays until the notice was delivered (the health bus and, for a tenant with a
 * webhook, the webhook queue). Whoever delivers holds a claim on the entry; a claim ends by
 * itself after NOTICE_CLAIM_SECONDS, so a claimant that died does not keep the notice forever.
 * Delivery is at least once: a claimant that delivered and died before marking the notice
 * delivered, or that outlived its claim, lets a second delivery happen. Consumers deduplicate on
 * the notice id (the bus event's `detail.noticeId`, the webhook's `x-blockplane-notice-id`).
 */

/** The evaluator's function timeout (`lib/health-stack.ts` deploys it with this value). */
export const EVALUATOR_TIMEOUT_SECONDS = 120;

/**
 * How long a claim on a notice's delivery lasts: a minute past the evaluator's timeout, so a
 * claimant still delivering when its claim ends has been stopped.
 */
export const NOTICE_CLAIM_SECONDS = EVALUATOR_TIMEOUT_SECONDS + 60;

/** Most outbox entries one evaluation reads. */
export const OUTBOX_READ_LIMIT = 1_000;

/** Most undelivered notices one evaluation tries to deliver again (the rest wait for the next pass). */
export const NOTICE_REDELIVERIES_PER_PASS = 100;

/** Most delivery errors one evaluation reports in its outcome. */
export const DELIVERY_ERRORS_REPORTED = 10;

/** Who delivers a notice and until when nobody else may: `until` is an ISO timestamp. */
export interface NoticeClaim {
  readonly by: string;
  readonly until: string;
}

/** A recorded notice not delivered yet, with the last claim on its delivery. */
export interface UndeliveredNotice {
  readonly notice: Notice;
  readonly claim: NoticeClaim;
}

/** A claim by `by` from `now` for NOTICE_CLAIM_SECONDS. */
export function claimFor(by: string, now: Date): NoticeClaim {
  return { by, until: new Date(now.getTime() + NOTICE_CLAIM_SECONDS * 1000).toISOString() };
}

/**
 * A claim given up at `now` after a failed delivery: it has ended for every pass that starts
 * later, not for the pass that gave it up (a bus that just refused is not asked again at once).
 */
export function releasedAt(claim: NoticeClaim, now: Date): NoticeClaim {
  return { by: claim.by, until: now.toISOString() };
}

/** True when nobody holds the claim at `now` any more. */
export function claimEnded(claim: NoticeClaim, now: Date): boolean {
  return Date.parse(claim.until) < now.getTime();
}

/**
 * The undelivered notices a pass at `now` should try to deliver: those whose claim ended, the
 * longest-waiting first (a just-released claim goes to the back), at most `max`.
 */
export function dueForRedelivery(undelivered: readonly UndeliveredNotice[], now: Date, max: number = NOTICE_REDELIVERIES_PER_PASS): UndeliveredNotice[] {
  return undelivered
    .filter((entry) => claimEnded(entry.claim, now))
    .sort((a, b) => Date.parse(a.claim.until) - Date.parse(b.claim.until) || a.notice.noticeId.localeCompare(b.notice.noticeId))
    .slice(0, max);
}
