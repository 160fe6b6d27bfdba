/**
 * One chunk over one presigned URL, with the retry rules of docs/snapshots.md "Faults":
 * 5xx and 429 (S3's SlowDown/503) and network errors are retried with backoff
 * (SNAPSHOT_TRANSFER_BACKOFF); a 403 means the URL expired (or its signature no longer holds), so
 * a fresh one is asked for, at most MAX_URL_RENEWALS times; any other 4xx fails at once.
 */
import { ChunkTransferError } from './snapshot-errors';
import type { PresignedChunkUrl } from './chunk-urls';
import { BackoffPolicy, backoffDelayMs, sleep } from '../util/backoff';

export const SNAPSHOT_TRANSFER_BACKOFF: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxAttempts: 8 };
export const MAX_URL_RENEWALS = 3;

export interface TransferCounters {
  retries: number;
  renewals: number;
}

export async function transferChunk(
  method: 'PUT' | 'GET',
  initial: PresignedChunkUrl,
  renew: () => Promise<PresignedChunkUrl>,
  counters: TransferCounters,
  body?: Buffer,
  policy: BackoffPolicy = SNAPSHOT_TRANSFER_BACKOFF,
): Promise<Buffer> {
  let url = initial;
  let renewals = 0;
  for (let attempt = 1; ; attempt++) {
    let status: number | undefined;
    let detail: string;
    try {
      const response = await fetch(url.url, { method, headers: url.headers, ...(body ? { body } : {}) });
      status = response.status;
      if (response.ok) return method === 'GET' ? Buffer.from(await response.arrayBuffer()) : Buffer.alloc(0);
      detail = (await response.text()).slice(0, 300);
    } catch (error) {
      detail = (error as Error).message;
    }
    if (status === 403 && renewals < MAX_URL_RENEWALS) {
      renewals++;
      counters.renewals++;
      url = await renew();
      continue;
    }
    const retryable = status === undefined || status >= 500 || status === 429;
    if (!retryable || attempt >= policy.maxAttempts) {
      throw new ChunkTransferError(url.digest, status, `${method} of chunk ${url.digest} failed with ${status ?? 'no answer'} after ${attempt} attempts: ${detail}`);
    }
    counters.retries++;
    await sleep(backoffDelayMs(policy, attempt));
  }
}
