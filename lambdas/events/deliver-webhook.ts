import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import type { WebhookJob } from '../../adapters/health-notice-delivery';
import { SIGNATURE_HEADER, signWebhook } from '../../core/health/webhook-signature';
import { now } from '../shared/composition';
import { healthStore } from '../shared/health-composition';
import { logger } from '../shared/logger';

const store = healthStore();
/** One POST's longest wait. */
const POST_TIMEOUT_MS = 5_000;

/**
 * The webhook queue's consumer: signs each notice with the tenant's key (HMAC-SHA256, header
 * `x-blockplane-signature`) and POSTs it. A failure returns the message to the queue, which
 * retries it after its visibility timeout with backoff and moves it to the dead-letter queue after
 * its last attempt. The key is never logged.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const job = JSON.parse(record.body) as WebhookJob;
    try {
      const webhook = await store.getWebhook(job.tenantId);
      if (!webhook) continue;
      const body = JSON.stringify(job.notice);
      const response = await fetch(webhook.url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(webhook.secret, body, now()), 'x-blockplane-notice-id': job.notice.noticeId },
        body,
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      if (response.status < 200 || response.status >= 300) throw new Error(`the webhook answered ${response.status}`);
    } catch (error) {
      logger.warn('webhook delivery failed; the queue retries it', { noticeId: job.notice.noticeId, attempt: record.attributes.ApproximateReceiveCount, error: (error as Error).message });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
