import type { Facts } from './facts';

/**
 * Lines that show something is wrong whatever rule matches: kernel errors, I/O errors, the OOM
 * killer, oopses and panics. A report with such lines and no matched rule goes to the review
 * queue, where an operator may write the rule that was missing.
 */
const ERROR_SIGNAL = /(I\/O error|Out of memory|oom-kill|Kernel panic|BUG: |Oops|Call Trace|blk_update_request|EXT4-fs error|XFS .*(error|corrupt)|hung_task|soft lockup|segfault at|Hardware Error|critical medium error|\bfailed\b.*\b(dev|sd|nvme|vd)\w*\b)/i;
const MAX_LINES = 10;

export interface ErrorSignals {
  readonly count: number;
  readonly lines: readonly string[];
}

export function errorSignals(facts: Facts): ErrorSignals {
  const kernel = facts.logs.get('kernel');
  let count = 0;
  const lines: string[] = [];
  if (kernel !== undefined) {
    for (const line of kernel.split('\n')) {
      if (!ERROR_SIGNAL.test(line)) continue;
      count += 1;
      if (lines.length < MAX_LINES) lines.push(line.slice(0, 500));
    }
  }
  return { count, lines };
}
