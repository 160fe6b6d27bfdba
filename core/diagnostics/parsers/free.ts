/** `free -k`: the `Mem:` and `Swap:` rows (total used free …, in KiB). */
export interface Free {
  readonly memTotalKiB?: number;
  readonly memAvailableKiB?: number;
  readonly swapTotalKiB?: number;
  readonly swapUsedKiB?: number;
}

export function parseFree(text: string): Free {
  const header = (text.split('\n')[0] ?? '').trim().split(/\s+/);
  const availableColumn = header.indexOf('available');
  const row = (name: string): number[] | undefined => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}:`));
    const numbers = line?.slice(name.length + 1).trim().split(/\s+/).map(Number);
    return numbers && numbers.every(Number.isFinite) ? numbers : undefined;
  };
  const mem = row('Mem');
  const swap = row('Swap');
  return {
    memTotalKiB: mem?.[0],
    memAvailableKiB: mem && availableColumn >= 0 ? mem[availableColumn] : undefined,
    swapTotalKiB: swap?.[0],
    swapUsedKiB: swap?.[1],
  };
}
