/**
 * Log lines and their time, from the three forms the collectors write: `dmesg -T`
 * (`[Tue Dec  1 10:00:00 2026] …`), journal short / syslog (`Dec  1 10:00:00 host …`, the year
 * taken from the collection time) and ISO (`2026-12-01T10:00:00+0000 …`, journalctl -o short-iso).
 * A line with none of them has no time.
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

export function lineTime(line: string, collectedAt: Date): number | undefined {
  const dmesg = /^\[\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\]/.exec(line);
  if (dmesg) return utc(Number(dmesg[6]), MONTHS[dmesg[1]], dmesg[2], dmesg[3], dmesg[4], dmesg[5]);
  const iso = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}:?\d{2}|Z)?/.exec(line);
  if (iso) {
    const zone = iso[2] ? (iso[2] === 'Z' ? 'Z' : `${iso[2].slice(0, 3)}:${iso[2].slice(-2)}`) : 'Z';
    const at = Date.parse(`${iso[1]}${zone}`);
    return Number.isNaN(at) ? undefined : at;
  }
  const syslog = /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) /.exec(line);
  if (syslog && syslog[1] in MONTHS) {
    const year = collectedAt.getUTCFullYear();
    const at = utc(year, MONTHS[syslog[1]], syslog[2], syslog[3], syslog[4], syslog[5]);
    // A December line in a January report is from the year before.
    return at !== undefined && at > collectedAt.getTime() + 86_400_000 ? utc(year - 1, MONTHS[syslog[1]], syslog[2], syslog[3], syslog[4], syslog[5]) : at;
  }
  return undefined;
}

function utc(year: number, month: number | undefined, day: string, hours: string, minutes: string, seconds: string): number | undefined {
  if (month === undefined) return undefined;
  const at = Date.UTC(year, month, Number(day), Number(hours), Number(minutes), Number(seconds));
  return Number.isNaN(at) ? undefined : at;
}
