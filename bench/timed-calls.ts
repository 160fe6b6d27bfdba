import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Times `calls` sequential calls and answers their durations in ms, sorted; `pauseMs` waits between calls, untimed (a rate limit). */
export async function timedCalls(calls: number, call: () => Promise<unknown>, pauseMs = 0): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    samples.push(performance.now() - start);
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return samples.sort((a, b) => a - b);
}

/** The q-quantile (0..1) of sorted samples. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
