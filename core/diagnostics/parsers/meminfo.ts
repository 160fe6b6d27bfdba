/** `/proc/meminfo`: `Name:   12345 kB` lines. Percentages are derived only when both inputs are present. */
export interface Meminfo {
  readonly memTotalKiB?: number;
  readonly memAvailableKiB?: number;
  readonly memAvailablePercent?: number;
  readonly swapTotalKiB?: number;
  readonly swapUsedPercent?: number;
  readonly committedPercent?: number;
}

export function parseMeminfo(text: string): Meminfo {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (match) kib.set(match[1], Number(match[2]));
  }
  const total = kib.get('MemTotal');
  const available = kib.get('MemAvailable');
  const swapTotal = kib.get('SwapTotal');
  const swapFree = kib.get('SwapFree');
  const committed = kib.get('Committed_AS');
  const limit = kib.get('CommitLimit');
  return {
    memTotalKiB: total,
    memAvailableKiB: available,
    memAvailablePercent: total && available !== undefined ? round((available / total) * 100) : undefined,
    swapTotalKiB: swapTotal,
    swapUsedPercent: swapTotal && swapFree !== undefined ? round(((swapTotal - swapFree) / swapTotal) * 100) : swapTotal === 0 ? 0 : undefined,
    committedPercent: limit && committed !== undefined ? round((committed / limit) * 100) : undefined,
  };
}

const round = (value: number): number => Math.round(value * 10) / 10;
