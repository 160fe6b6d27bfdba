/**
 * The report's window: `--since 24h` (a duration back from now: `s`, `m`, `h` or `d`) or an
 * ISO-8601 time. At most {@link MAX_WINDOW_DAYS} back; a time in the future is refused.
 */

export const DEFAULT_SINCE = '24h';
export const MAX_WINDOW_DAYS = 90;

const DURATION = /^([1-9][0-9]{0,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export class InvalidWindowError extends Error {
  constructor(received: string, reason: string) {
    super(`since ${JSON.stringify(received)} is not valid: ${reason}`);
    this.name = 'InvalidWindowError';
  }
}

export function parseSince(value: string, now: Date): Date {
  const duration = DURATION.exec(value);
  let since: Date;
  if (duration) {
    since = new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  } else if (ISO_TIME.test(value) && !Number.isNaN(Date.parse(value))) {
    since = new Date(value);
  } else {
    throw new InvalidWindowError(value, 'expected a duration like 30m, 24h or 7d, or an ISO-8601 time with a zone like 2026-12-01T00:00:00Z');
  }
  if (since.getTime() > now.getTime()) throw new InvalidWindowError(value, 'it is in the future');
  if (now.getTime() - since.getTime() > MAX_WINDOW_DAYS * UNIT_MS.d) throw new InvalidWindowError(value, `the window is at most ${MAX_WINDOW_DAYS} days`);
  return since;
}

/** The window's start as journalctl takes it (`@<epoch seconds>`). */
export function journalSince(since: Date): string {
  return `@${Math.floor(since.getTime() / 1000)}`;
}
