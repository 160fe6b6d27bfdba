import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Notice } from '../core/health/health-event';
import type { NoticeDelivery, Webhook } from '../core/health/ports';

export const NOTICE_SOURCE = 'blockplane.health';
export const NOTICE_DETAIL_TYPE = 'Blockplane Health Notice';

/** A webhook job on the queue: the notice and the tenant id (the deliverer reads the URL and key itself, so no key is in the queue). */
export interface WebhookJob {
  readonly tenantId: string;
  readonly notice: Notice;
}

/**
 * Delivers a notice: one event on the health bus (source `blockplane.health`), and for a
 * tenant with a webhook one job on the webhook queue (its consumer signs and POSTs, retried by
 * the queue with backoff and dead-lettered after its attempts).
 */
export class BusAndQueueNoticeDelivery implements NoticeDelivery {
  constructor(
    private readonly busName: string,
    private readonly queueUrl: string,
    private readonly events: EventBridgeClient = new EventBridgeClient({}),
    private readonly sqs: SQSClient = new SQSClient({}),
  ) {}

  async deliver(notice: Notice, webhook: Webhook | undefined): Promise<void> {
    const { FailedEntryCount, Entries } = await this.events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: NOTICE_SOURCE, DetailType: NOTICE_DETAIL_TYPE, Resources: [], Detail: JSON.stringify(notice) }],
      }),
    );
    if (FailedEntryCount) throw new Error(`the health bus refused notice ${notice.noticeId}: ${Entries?.[0]?.ErrorCode ?? 'unknown'} ${Entries?.[0]?.ErrorMessage ?? ''}`);
    if (!webhook) return;
    const job: WebhookJob = { tenantId: notice.tenantId, notice };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(job) }));
  }
}
