/**
 * Runs work one at a time per key, in the order it was queued, and different keys
 * concurrently: the controllers' per-object serialization (two commands on one copy never
 * interleave; commands on different copies do not wait for each other).
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Queues `work` behind everything queued earlier for `key`; resolves with its outcome. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    // Deliberately swallowed: the caller gets the outcome through `result`; the tail only orders.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work. */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }

  /** Resolves when everything queued so far has finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
