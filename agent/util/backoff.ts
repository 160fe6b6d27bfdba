/**
 * Bounded exponential backoff: delay(n) = min(maxDelayMs, initialDelayMs * factor^(n-1)),
 * with ±20 % jitter so a fleet of agents does not retry in step. Every retry loop in the
 * agent names its policy (a named maximum attempt count, or an explicit `Infinity` for
 * "until it succeeds", always with a capped delay).
 */
export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** @default 2 */
  factor?: number;
  /** Attempts in total, the first included; `Infinity` = until it succeeds or is aborted. */
  maxAttempts: number;
}

const JITTER = 0.2;

export function backoffDelayMs(policy: BackoffPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * (policy.factor ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - JITTER + Math.random() * 2 * JITTER));
}

export interface RetryOptions {
  /** @default every error is retried */
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting and rethrows the last error when aborted. */
  signal?: AbortSignal;
}

export async function retryWithBackoff<T>(policy: BackoffPolicy, operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const retryable = options.isRetryable ? options.isRetryable(error) : true;
      if (!retryable || attempt >= policy.maxAttempts || options.signal?.aborted) throw error;
      const delayMs = backoffDelayMs(policy, attempt);
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
