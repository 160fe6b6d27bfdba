import { setTimeout as wait } from 'node:timers/promises';
import { VersionConflictError } from './errors';

/**
 * How a use case retries a write that lost an optimistic-concurrency race (another writer, such
 * as an attach during a rebuild, changed the volume first): it reads again and redoes its change,
 * at most `maxAttempts` times in all, waiting `initialDelayMs` doubled per attempt up to
 * `maxDelayMs` (at most 50 + 100 + 200 + 400 = 750 ms of waiting), then gives up with the conflict.
 */
export const VERSION_CONFLICT_RETRY = { maxAttempts: 5, initialDelayMs: 50, maxDelayMs: 400 } as const;

/** Runs `work` (which must read what it changes) again after each VersionConflictError, within VERSION_CONFLICT_RETRY. */
export async function retryOnVersionConflict<T>(work: () => Promise<T>, sleep: (ms: number) => Promise<unknown> = wait): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= VERSION_CONFLICT_RETRY.maxAttempts) throw error;
      await sleep(Math.min(VERSION_CONFLICT_RETRY.maxDelayMs, VERSION_CONFLICT_RETRY.initialDelayMs * 2 ** (attempt - 1)));
    }
  }
}
