/**
 * Keeps the lines of a log that fall in the window `[since, now]`. A line's time is read from
 * its start: ISO-8601 (`2026-12-01T22:05:01.123+00:00`, journald's short-iso, rsyslog's
 * high-precision format) or traditional syslog (`Dec  1 22:05:01`, local time, the year
 * inferred: the latest one not after `now`). A line without a time (a continuation) goes with
 * the line before it; lines before the first dated one are kept.
 */

const ISO = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SYSLOG = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})\b/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Clocks differ a little: a line dated up to this far after `now` is still this year's. */
const FUTURE_SLACK_MS = 24 * 3600 * 1000;

/** The time a log line starts with, or undefined. */
export function lineTime(line: string, now: Date): Date | undefined {
  const iso = ISO.exec(line);
  if (iso) {
    const parsed = new Date(iso[1].replace(' ', 'T').replace(',', '.'));
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  const syslog = SYSLOG.exec(line);
  if (!syslog) return undefined;
  const month = MONTHS.indexOf(syslog[1]);
  if (month < 0) return undefined;
  const at = (year: number) => new Date(year, month, Number(syslog[2]), Number(syslog[3]), Number(syslog[4]), Number(syslog[5]));
  const thisYear = at(now.getFullYear());
  return thisYear.getTime() > now.getTime() + FUTURE_SLACK_MS ? at(now.getFullYear() - 1) : thisYear;
}

/**
 * The lines of `text` inside the window. `partialFirstLine`: the text starts mid-line (a tail
 * read), so its first line is dropped.
 */
export function linesInWindow(text: string, since: Date, now: Date, partialFirstLine = false): string {
  const lines = text.split('\n');
  if (partialFirstLine) lines.shift();
  const kept: string[] = [];
  let keep = true;
  for (const line of lines) {
    const time = lineTime(line, now);
    if (time) keep = time.getTime() >= since.getTime();
    if (keep) kept.push(line);
  }
  return kept.join('\n');
}
