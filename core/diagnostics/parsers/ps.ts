/** `ps -eo pid,ppid,stat,rss,vsz,etime,comm`: one row per process. */
export interface Ps {
  readonly processCount: number;
  readonly zombieCount: number;
  /** Processes in uninterruptible sleep (state D), usually waiting on I/O. */
  readonly uninterruptibleCount: number;
  readonly commands: readonly string[];
}

export function parsePs(text: string): Ps {
  let processCount = 0;
  let zombieCount = 0;
  let uninterruptibleCount = 0;
  const commands = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const match = /^\s*\d+\s+\d+\s+(\S+)\s+\d+\s+\d+\s+\S+\s+(.+)$/.exec(line);
    if (!match) continue;
    processCount += 1;
    if (match[1].startsWith('Z')) zombieCount += 1;
    if (match[1].startsWith('D')) uninterruptibleCount += 1;
    commands.add(match[2].trim());
  }
  return { processCount, zombieCount, uninterruptibleCount, commands: [...commands] };
}
