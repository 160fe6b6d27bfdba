import type { Notice } from './health-event';

/**
 * The notice outbox (docs/health.md, "Notices"): a notice is recorded together with an outbox
 * entry that stays until the notice was delivered (the health bus and, for a tenant with a
 * webhook, the webhook queue). Whoever delivers holds a claim on the entry; a claim ends by
 * itself after NOTICE_CLAIM_SECONDS, so a claimant that died does not keep the notice forever.
 * Delivery is at least once: a claimant that delivered and died before marking the notice
 * delivered, or that outlived its claim, lets a second delivery happen. Consumers deduplicate on
 * the notice id (the bus event's `detail.noticeId`, the webhook's `x-blockplane-notice-id`).
 * A failed delivery is tried again with backoff (`retryDelaySeconds`); after
 * NOTICE_DEAD_LETTER_AFTER_FAILURES failures the notice leaves the outbox for the dead letters,
 * where an operator reads it and redrives it into the outbox once the cause is fixed.
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

/** Failed deliveries after which a notice goes to the dead letters: about 5 hours of tries with `retryDelaySeconds`. */
export const NOTICE_DEAD_LETTER_AFTER_FAILURES = 12;

/** The longest wait between two tries of one notice. */
export const NOTICE_RETRY_MAX_SECONDS = 3_600;

/** Most delivery errors one evaluation reports in its outcome. */
export const DELIVERY_ERRORS_REPORTED = 10;

/** Who delivers a notice and until when nobody else may: `until` is an ISO timestamp. */
export interface NoticeClaim {
  readonly by: string;
  readonly until: string;
}

/** A recorded notice not delivered yet, with the last claim on its delivery and how many deliveries failed. */
export interface UndeliveredNotice {
  readonly notice: Notice;
  readonly claim: NoticeClaim;
  readonly failedDeliveries: number;
}

/** One failed delivery of a notice: the count so far (this one included), its error and time. */
export interface FailedDelivery {
  readonly failedDeliveries: number;
  readonly error: string;
  readonly at: string;
}

/** A notice taken out of the outbox after NOTICE_DEAD_LETTER_AFTER_FAILURES failed deliveries. */
export interface DeadLetteredNotice {
  readonly notice: Notice;
  readonly lastFailure: FailedDelivery;
}

/** A claim by `by` from `now` for NOTICE_CLAIM_SECONDS. */
export function claimFor(by: string, now: Date): NoticeClaim {
  return { by, until: new Date(now.getTime() + NOTICE_CLAIM_SECONDS * 1000).toISOString() };
}

/**
 * How long after a notice's `failedDeliveries`-th failure it waits for its next try: none after
 * the first (the next pass tries it), then 1, 2, 4 … minutes, at most NOTICE_RETRY_MAX_SECONDS.
 */
export function retryDelaySeconds(failedDeliveries: number): number {
  return failedDeliveries <= 1 ? 0 : Math.min(60 * 2 ** (failedDeliveries - 2), NOTICE_RETRY_MAX_SECONDS);
}

/**
 * A claim given up at `now` after the notice's `failedDeliveries`-th failed delivery: it ends
 * `retryDelaySeconds` later, and never for the pass that gave it up (a bus that just refused is
 * not asked again at once).
 */
export function releasedAt(claim: NoticeClaim, now: Date, failedDeliveries: number): NoticeClaim {
  return { by: claim.by, until: new Date(now.getTime() + retryDelaySeconds(failedDeliveries) * 1000).toISOString() };
}

/** True when a notice whose deliveries failed `failedDeliveries` times goes to the dead letters instead of another try. */
export function isDeadLetter(failedDeliveries: number): boolean {
  return failedDeliveries >= NOTICE_DEAD_LETTER_AFTER_FAILURES;
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
