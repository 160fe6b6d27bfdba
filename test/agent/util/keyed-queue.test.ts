/** Per-key serialization: the controllers' guarantee that one copy's commands never interleave. */
import { KeyedQueue } from '../../../agent/util/keyed-queue';
import { backoffDelayMs, retryWithBackoff } from '../../../agent/util/backoff';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('keyed queue', () => {
  it('when work is queued for one key, it runs one at a time in queue order, even when one fails', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const work = (name: string, ms: number, fail = false) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue.run('c1', work('a', 30)), queue.run('c1', work('b', 5, true)), queue.run('c1', work('c', 1))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(queue.busyKeys).toEqual([]);
  });

  it('when work is queued for two keys, they run at the same time', async () => {
    const queue = new KeyedQueue();
    const started = Date.now();
    await Promise.all([queue.run('c1', () => tick(100)), queue.run('c2', () => tick(100))]);
    expect(Date.now() - started).toBeLessThan(180);
  });
});

describe('bounded backoff', () => {
  it('when attempts fail, the delay doubles up to its cap (±20 %) and the last error is thrown after maxAttempts', async () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 400, maxAttempts: 3 };
    expect(backoffDelayMs(policy, 1)).toBeGreaterThanOrEqual(80);
    expect(backoffDelayMs(policy, 1)).toBeLessThanOrEqual(120);
    expect(backoffDelayMs(policy, 10)).toBeLessThanOrEqual(480);
    let attempts = 0;
    await expect(retryWithBackoff({ initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 }, async () => { attempts++; throw new Error(`try ${attempts}`); })).rejects.toThrow('try 3');
    expect(attempts).toBe(3);
  });

  it('when an error is not retryable, it is thrown at once', async () => {
    let attempts = 0;
    await expect(retryWithBackoff({ initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 5 }, async () => { attempts++; throw new Error('no'); }, { isRetryable: () => false })).rejects.toThrow('no');
    expect(attempts).toBe(1);
  });
});
