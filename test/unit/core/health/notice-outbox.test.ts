import type { Notice } from '../../../../core/health/health-event';
import { claimEnded, claimFor, dueForRedelivery, isDeadLetter, NOTICE_CLAIM_SECONDS, NOTICE_DEAD_LETTER_AFTER_FAILURES, releasedAt, retryDelaySeconds } from '../../../../core/health/notice-outbox';

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

test('when a claim is given up after a first failed delivery, it has ended for a later pass but not for the pass that gave it up', () => {
  // Given
  const released = releasedAt(claimFor('pass-1', NOW), NOW, 1);
  // Then
  expect(claimEnded(released, NOW)).toBe(false);
  expect(claimEnded(released, later(1))).toBe(true);
});

test('when deliveries keep failing, the next try waits 1, 2, 4 … minutes, at most an hour, and the 12th failure dead-letters the notice about 5 hours after the first', () => {
  // Given
  const failures = Array.from({ length: NOTICE_DEAD_LETTER_AFTER_FAILURES }, (_, i) => i + 1);
  // When
  const delays = failures.map(retryDelaySeconds);
  // Then
  expect(delays.slice(0, 9)).toEqual([0, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
  expect(claimEnded(releasedAt(claimFor('pass-1', NOW), NOW, 3), later(119))).toBe(false);
  expect(claimEnded(releasedAt(claimFor('pass-1', NOW), NOW, 3), later(121))).toBe(true);
  expect(failures.filter(isDeadLetter)).toEqual([NOTICE_DEAD_LETTER_AFTER_FAILURES]);
  expect(NOTICE_DEAD_LETTER_AFTER_FAILURES).toBe(12);
  expect(delays.slice(0, -1).reduce((sum, d) => sum + d, 0) / 3600).toBeCloseTo(5.05, 2);
});

test('when notices wait in the outbox, only those whose claim ended are due, the longest-waiting first, at most the maximum', () => {
  // Given
  const undelivered = [
    { notice: notice('n-held'), claim: claimFor('pass-2', NOW), failedDeliveries: 0 },
    { notice: notice('n-just-released'), claim: releasedAt(claimFor('pass-1', NOW), later(-1), 1), failedDeliveries: 1 },
    { notice: notice('n-dead-claimant'), claim: claimFor('pass-0', later(-NOTICE_CLAIM_SECONDS - 60)), failedDeliveries: 0 },
    { notice: notice('n-other'), claim: releasedAt(claimFor('pass-1', NOW), later(-30), 1), failedDeliveries: 1 },
    { notice: notice('n-backing-off'), claim: releasedAt(claimFor('pass-1', NOW), later(-30), 2), failedDeliveries: 2 },
  ];
  // When
  const due = dueForRedelivery(undelivered, NOW, 2);
  // Then
  expect(due.map((entry) => entry.notice.noticeId)).toEqual(['n-dead-claimant', 'n-other']);
  expect(dueForRedelivery(undelivered, NOW).map((entry) => entry.notice.noticeId)).toEqual(['n-dead-claimant', 'n-other', 'n-just-released']);
});
