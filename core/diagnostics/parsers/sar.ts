/**
 * `sar -A` (sysstat): the `Average:` rows of the sections the rules use: CPU (the `all` row),
 * swapping (`pswpin/s`, `pswpout/s`) and memory (`%memused`). Each section prints an `Average:`
 * header row of column names, then its `Average:` value rows; a locale's decimal comma is read as
 * a point.
 */
export interface Sar {
  readonly cpuIowaitPercent?: number;
  readonly cpuStealPercent?: number;
  readonly cpuIdlePercent?: number;
  readonly swapInPagesPerSecond?: number;
  readonly swapOutPagesPerSecond?: number;
  readonly memUsedPercent?: number;
}

const number = (token: string | undefined): number | undefined => {
  if (token === undefined || !/^-?\d+(?:[.,]\d+)?$/.test(token)) return undefined;
  return Number(token.replace(',', '.'));
};

export function parseSar(text: string): Sar {
  const averages: Record<string, number> = {};
  let header: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('Average:')) continue;
    const tokens = line.slice('Average:'.length).trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    if (tokens.every((token) => number(token) === undefined)) {
      header = tokens;
      continue;
    }
    if (!header || tokens.length !== header.length) continue;
    const cpuRow = header[0] === 'CPU';
    if (cpuRow && tokens[0] !== 'all') continue;
    header.forEach((column, index) => {
      const value = number(tokens[index]);
      if (value !== undefined) averages[cpuRow ? `cpu:${column}` : column] = value;
    });
  }
  return {
    cpuIowaitPercent: averages['cpu:%iowait'],
    cpuStealPercent: averages['cpu:%steal'],
    cpuIdlePercent: averages['cpu:%idle'],
    swapInPagesPerSecond: averages['pswpin/s'],
    swapOutPagesPerSecond: averages['pswpout/s'],
    memUsedPercent: averages['%memused'],
  };
}
