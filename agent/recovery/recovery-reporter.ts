/**
 * Sends the recovery report (`POST /hosts/{hostId}/recovery-reports`) in pages of
 * MAX_COPIES_PER_REPORT, retrying each page until the control plane answers it: after a 429 it
 * waits the `Retry-After` the control plane gave (the mass-recovery batch is full), after any other
 * failure {@link RECOVERY_REPORT_BACKOFF}; a 404 or 403 (the host is not registered to this
 * principal) ends it with {@link RecoveryNotAcceptedError}. The last page says `final`, which frees the host's place.
 */
import type { SignedHttp, SignedResponse } from '../../client/signed-http';
import { MAX_COPIES_PER_REPORT, type RecoveryTrigger, type ScannedCopy } from '../../core/recovery/recovery-report';
import { BackoffPolicy, backoffDelayMs, sleep } from '../util/backoff';
import { AgentLogger, silentLogger } from '../util/logger';

/** 1 s doubling up to 30 s between attempts, until answered or the agent stops. */
export const RECOVERY_REPORT_BACKOFF: BackoffPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: Infinity };
/** A Retry-After is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 300_000;

/** What the control plane said about one copy. */
export interface CopyVerdict {
  readonly volumeId: string;
  readonly copyId: string;
  readonly verdict: string;
  readonly rule: string;
  readonly action: 'hold-read-only' | 'quarantine' | 'delete';
}

export interface RecoveryReporterOptions {
  readonly http: Pick<SignedHttp, 'request'>;
  readonly hostId: string;
  readonly logger?: AgentLogger;
  readonly signal?: AbortSignal;
  /** For tests: how to wait. @default backoff.sleep */
  readonly wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The control plane does not know this host (404) or refuses it as this principal (403): no recovery can be reported. */
export class RecoveryNotAcceptedError extends Error {
  constructor(readonly status: number, reason: string) {
    super(`the control plane refused the recovery report (HTTP ${status}): ${reason}`);
    this.name = 'RecoveryNotAcceptedError';
  }
}

export interface ReportOutcome {
  readonly verdicts: readonly CopyVerdict[];
  readonly attempts: number;
  readonly throttled: number;
}

export async function sendRecoveryReport(options: RecoveryReporterOptions, trigger: RecoveryTrigger, copies: readonly ScannedCopy[]): Promise<ReportOutcome> {
  const logger = (options.logger ?? silentLogger).child({ controller: 'recovery' });
  const wait = options.wait ?? sleep;
  const pages: ScannedCopy[][] = [];
  for (let start = 0; start < copies.length; start += MAX_COPIES_PER_REPORT) pages.push(copies.slice(start, start + MAX_COPIES_PER_REPORT));
  if (pages.length === 0) pages.push([]);
  const verdicts: CopyVerdict[] = [];
  let attempts = 0;
  let throttled = 0;
  for (const [index, page] of pages.entries()) {
    const body = { trigger, copies: page, final: index === pages.length - 1 };
    for (let attempt = 1; ; attempt++) {
      if (options.signal?.aborted) throw new Error('the agent stopped before the recovery report was answered');
      attempts += 1;
      let response: SignedResponse | undefined;
      try {
        response = await options.http.request('POST', `/hosts/${encodeURIComponent(options.hostId)}/recovery-reports`, body);
      } catch (error) {
        logger.warn('recovery report not delivered; retrying', { attempt, error: (error as Error).message });
      }
      if (response && response.status >= 200 && response.status < 300) {
        verdicts.push(...((response.body as { copies?: CopyVerdict[] }).copies ?? []));
        break;
      }
      if (response?.status === 404 || response?.status === 403) throw new RecoveryNotAcceptedError(response.status, response.text.slice(0, 300));
      let delayMs = backoffDelayMs(RECOVERY_REPORT_BACKOFF, attempt);
      if (response?.status === 429) {
        throttled += 1;
        const seconds = Number(response.retryAfter);
        if (Number.isFinite(seconds) && seconds >= 0) delayMs = Math.min(MAX_RETRY_AFTER_MS, seconds * 1000);
        logger.info('recovery batch full; reporting again after Retry-After', { delayMs });
      } else if (response) {
        logger.warn('recovery report refused; retrying', { status: response.status, body: response.text.slice(0, 300), attempt });
      }
      await wait(delayMs, options.signal);
    }
  }
  logger.info('recovery report answered', { copies: verdicts.length, attempts, throttled });
  return { verdicts, attempts, throttled };
}
