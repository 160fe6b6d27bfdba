import type { Notice } from '../../../../core/health/health-event';
import { claimEnded, claimFor, dueForRedelivery, NOTICE_CLAIM_SECONDS, releasedAt } from '../../../../core/health/notice-outbox';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const notice = (noticeId: string) => ({ noticeId }) as Notice;

test('when a claim is taken, it lasts NOTICE_CLAIM_SECONDS and has ended only after that', () => {
  // Given
  const claim = claimFor('pass-1', NOW);
  // Then
  expect(claimEnded(claim, later(NOTICE_CLAIM_SECONDS - 1))).toBe(false);
  expect(claimEnded(claim, later(NOTICE_CLAIM_SECONDS))).toBe(false);
  expect(claimEnded(claim, later(NOTICE_CLAIM_SECONDS + 1))).toBe(true);
});

test('when a claim is given up after a failed delivery, it has ended for a later pass but not for the pass that gave it up', () => {
  // Given
  const released = releasedAt(claimFor('pass-1', NOW), NOW);
  // Then
  expect(claimEnded(released, NOW)).toBe(false);
  expect(claimEnded(released, later(1))).toBe(true);
});

test('when notices wait in the outbox, only those whose claim ended are due, the longest-waiting first, at most the maximum', () => {
  // Given
  const undelivered = [
    { notice: notice('n-held'), claim: claimFor('pass-2', NOW) },
    { notice: notice('n-just-released'), claim: releasedAt(claimFor('pass-1', NOW), later(-1)) },
    { notice: notice('n-dead-claimant'), claim: claimFor('pass-0', later(-NOTICE_CLAIM_SECONDS - 60)) },
    { notice: notice('n-other'), claim: releasedAt(claimFor('pass-1', NOW), later(-30)) },
  ];
  // When
  const due = dueForRedelivery(undelivered, NOW, 2);
  // Then
  expect(due.map((entry) => entry.notice.noticeId)).toEqual(['n-dead-claimant', 'n-other']);
  expect(dueForRedelivery(undelivered, NOW).map((entry) => entry.notice.noticeId)).toEqual(['n-dead-claimant', 'n-other', 'n-just-released']);
});
