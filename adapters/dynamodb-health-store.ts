import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../core/errors';
import type { Comment } from '../core/health/comment';
import { countedCorrelation } from '../core/health/correlation';
import type { ComponentHealth } from '../core/health/fleet-health';
import type { HealthEvent, Notice } from '../core/health/health-event';
import { worst, type HealthLevel } from '../core/health/health-level';
import type { DeadLetteredNotice, FailedDelivery, NoticeClaim, UndeliveredNotice } from '../core/health/notice-outbox';
import type { ComponentRecord, HealthStore, HistoryEntry, Webhook } from '../core/health/ports';
import type { RemediationSettings } from '../core/health/remediation';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/** Tries of one batch of health items (unprocessed items are retried at once; DynamoDB returns them under throttling). */
const BATCH_ATTEMPTS = 5;
/** How long history, comments and notices are kept (TTL). */
const RETENTION_SECONDS = 90 * 86_400;
const expiresAt = (at: Date | string) => Math.floor(new Date(at).getTime() / 1000) + RETENTION_SECONDS;
const strip = <T>(item: Record<string, unknown>): T => {
  const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = item;
  return rest as T;
};

/** Tries at the open pointer: once, and once more after a stale pointer was removed. */
const OPEN_POINTER_ATTEMPTS = 2;

/**
 * A notice transaction cancelled while its items are unchanged (a concurrent transaction on them
 * was in flight, TransactionConflict) is tried again: at most 5 tries, 25 ms doubling between.
 */
export const NOTICE_TRANSACTION_POLICY = { maxAttempts: 5, baseDelayMs: 25 } as const;

const noticeKey = (tenantId: string, noticeId: string) => ({ pk: `TENANT#${tenantId}`, sk: `NOTICE#${noticeId}` });
/** A notice's outbox item: present from its recording until its delivery (`core/health/notice-outbox.ts`). */
const outboxKey = (noticeId: string) => ({ pk: 'OUTBOX', sk: noticeId });
/** A notice's dead letter: present from its last failed delivery until it is redriven or its retention ends. */
const deadLetterKey = (noticeId: string) => ({ pk: 'DEADLETTER', sk: noticeId });

/**
 * The health table (docs/health.md, "Storage"): components under `COMPONENTS`, history per
 * component, comments with one item per correlated component, events with a per-component open
 * pointer and per-tenant links, notices and actions claimed by conditional writes, the notice
 * outbox under `OUTBOX` (one item per undelivered notice, with its delivery claim and failures),
 * the notices whose deliveries failed for good under `DEADLETTER`, settings.
 */
export class DynamoDbHealthStore implements HealthStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  private put(item: Record<string, unknown>, condition?: string, values?: Record<string, unknown>) {
    return this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values }));
  }

  private async query(pk: string, options: { prefix?: string; limit?: number; newestFirst?: boolean; since?: string } = {}): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const condition = options.since !== undefined ? 'pk = :pk AND sk >= :since' : options.prefix !== undefined ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk';
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: condition,
          ExpressionAttributeValues: { ':pk': pk, ...(options.since !== undefined ? { ':since': options.since } : options.prefix !== undefined ? { ':prefix': options.prefix } : {}) },
          ScanIndexForward: !options.newestFirst,
          Limit: options.limit,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = options.limit !== undefined && items.length >= options.limit ? undefined : page.LastEvaluatedKey;
    } while (start);
    return options.limit !== undefined ? items.slice(0, options.limit) : items;
  }

  async saveHealth(components: readonly ComponentHealth[], at: Date): Promise<void> {
    const when = at.toISOString();
    const previous = new Map((await this.listComponents()).map((c) => [c.componentId, c]));
    const items: Record<string, unknown>[] = [];
    for (const component of components) {
      const before = previous.get(component.componentId);
      const changed = before?.level !== component.level;
      const record: ComponentRecord = { ...component, evaluatedAt: when, levelSince: changed ? when : (before?.levelSince ?? when) };
      items.push({ pk: 'COMPONENTS', sk: component.componentId, ...record });
      if (changed) {
        const entry: HistoryEntry = { at: when, level: component.level, score: component.score, reasons: component.reasons };
        items.push({ pk: `HISTORY#${component.componentId}`, sk: when, ...entry, expiresAt: expiresAt(at) });
      }
    }
    await this.writeAll(items);
  }

  /** Batches of 25 (BatchWriteItem's limit), unprocessed items retried up to BATCH_ATTEMPTS times. */
  private async writeAll(items: readonly Record<string, unknown>[]): Promise<void> {
    for (let start = 0; start < items.length; start += 25) {
      let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt += 1) {
        if (attempt > BATCH_ATTEMPTS) throw new Error(`${requests.length} health items were not written after ${BATCH_ATTEMPTS} attempts`);
        const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async getComponent(componentId: string): Promise<ComponentRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: 'COMPONENTS', sk: componentId } }));
    return Item ? strip<ComponentRecord>(Item) : undefined;
  }

  async listComponents(): Promise<readonly ComponentRecord[]> {
    return (await this.query('COMPONENTS')).map((item) => strip<ComponentRecord>(item));
  }

  async history(componentId: string, limit: number): Promise<readonly HistoryEntry[]> {
    return (await this.query(`HISTORY#${componentId}`, { limit, newestFirst: true })).map((item) => strip<HistoryEntry>(item));
  }

  async worstLevelsSince(componentIds: readonly string[], since: Date): Promise<ReadonlyMap<string, HealthLevel>> {
    const result = new Map<string, HealthLevel>();
    for (const componentId of componentIds) {
      const entries = await this.history(componentId, 50);
      let level: HealthLevel = (await this.getComponent(componentId))?.level ?? 'green';
      for (const entry of entries) {
        level = worst(level, entry.level);
        // The entry in force when the window started is the last one needed.
        if (Date.parse(entry.at) < since.getTime()) break;
      }
      result.set(componentId, level);
    }
    return result;
  }

  async saveComment(comment: Comment): Promise<void> {
    await this.put({ pk: `COMMENT#${comment.commentId}`, sk: 'COMMENT', ...comment, expiresAt: expiresAt(comment.receivedAt) });
    // Only the correlation the comment counts on feeds the triggers; all of them stay on the comment.
    const counted = countedCorrelation(comment.correlations);
    if (counted) {
      await this.put({
        pk: 'CORRELATED',
        sk: `${comment.receivedAt}#${counted.componentId}#${comment.commentId}`,
        componentId: counted.componentId,
        commentId: comment.commentId,
        score: counted.score,
        expiresAt: expiresAt(comment.receivedAt),
      });
    }
  }

  async correlatedScoresSince(componentId: string, since: Date): Promise<readonly number[]> {
    return (await this.correlatedSince(since)).get(componentId) ?? [];
  }

  async correlatedScoresByComponentSince(since: Date): Promise<ReadonlyMap<string, readonly number[]>> {
    return this.correlatedSince(since);
  }

  private async correlatedSince(since: Date): Promise<Map<string, number[]>> {
    const scores = new Map<string, number[]>();
    for (const item of await this.query('CORRELATED', { since: since.toISOString() })) {
      const componentId = item.componentId as string;
      scores.set(componentId, [...(scores.get(componentId) ?? []), item.score as number]);
    }
    return scores;
  }

  async openComponentIds(): Promise<ReadonlySet<string>> {
    return new Set((await this.query('OPEN')).map((item) => item.sk as string));
  }

  /**
   * The event the component's open pointer names, when it is still open. A pointer left on a closed
   * event (an evaluator that crashed between `saveEvent`'s two writes) is removed here, so the
   * component can open its next event.
   */
  async openEventOf(componentId: string): Promise<HealthEvent | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: 'OPEN', sk: componentId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const event = await this.getEvent(Item.eventId as string);
    if (event?.statusCode !== 'closed') return event;
    await this.deleteOpenPointer(event);
    return undefined;
  }

  /**
   * The event first, then the pointer that makes it the component's open one: a crash between the
   * two leaves an event nothing names (no pointer, no tenant link), never a pointer to nothing.
   * Evaluators racing at the same moment build the same event id; the one pointer decides, and a
   * loser's unnamed event is removed. A stale pointer (on a closed event) is removed and the
   * pointer tried once more.
   */
  async openEvent(event: HealthEvent): Promise<HealthEvent> {
    const stored = { ...event, version: 1 };
    try {
      await this.put({ pk: `EVENT#${event.eventId}`, sk: 'EVENT', ...stored }, 'attribute_not_exists(pk)');
    } catch (error) {
      // The same event, put by an evaluator racing this one: the pointer below decides.
      if (!isConditionFailure(error)) throw error;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.put({ pk: 'OPEN', sk: event.componentId, eventId: event.eventId }, 'attribute_not_exists(pk)');
        return (await this.getEvent(event.eventId)) ?? stored;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const open = await this.openEventOf(event.componentId);
        if (open?.eventId === event.eventId) return open;
        if (open) {
          await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `EVENT#${event.eventId}`, sk: 'EVENT' } }));
          return open;
        }
        if (attempt >= OPEN_POINTER_ATTEMPTS) {
          throw new VersionConflictError(`component ${event.componentId} had an open event that closed meanwhile`, { componentId: event.componentId }, { cause: error });
        }
      }
    }
  }

  async saveEvent(event: HealthEvent): Promise<void> {
    try {
      await this.put({ pk: `EVENT#${event.eventId}`, sk: 'EVENT', ...event }, 'version = :expected', { ':expected': event.version - 1 });
    } catch (error) {
      if (isConditionFailure(error)) throw new VersionConflictError(`event ${event.eventId} was changed by another writer`, { eventId: event.eventId }, { cause: error });
      throw error;
    }
    for (const tenantId of new Set(event.affectedEntities.map((entity) => entity.tenantId))) {
      await this.put({ pk: `TENANT#${tenantId}`, sk: `EVENT#${event.startTime}#${event.eventId}`, eventId: event.eventId, statusCode: event.statusCode });
    }
    if (event.statusCode === 'closed') await this.deleteOpenPointer(event);
  }

  private async deleteOpenPointer(event: HealthEvent): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: 'OPEN', sk: event.componentId }, ConditionExpression: 'eventId = :id', ExpressionAttributeValues: { ':id': event.eventId } }),
      );
    } catch (error) {
      // Already gone, or a newer episode's pointer: either way not this event's to remove.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async getEvent(eventId: string): Promise<HealthEvent | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `EVENT#${eventId}`, sk: 'EVENT' }, ConsistentRead: true }));
    return Item ? strip<HealthEvent>(Item) : undefined;
  }

  async eventsOfTenant(tenantId: string, limit: number): Promise<readonly HealthEvent[]> {
    const links = await this.query(`TENANT#${tenantId}`, { prefix: 'EVENT#', limit, newestFirst: true });
    if (links.length === 0) return [];
    const { Responses } = await this.client.send(
      new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: links.map((link) => ({ pk: `EVENT#${link.eventId as string}`, sk: 'EVENT' })) } } }),
    );
    const byId = new Map((Responses?.[this.tableName] ?? []).map((item) => [item.eventId as string, strip<HealthEvent>(item)]));
    return links.flatMap((link) => byId.get(link.eventId as string) ?? []);
  }

  async openEventsOfTenant(tenantId: string): Promise<readonly HealthEvent[]> {
    const links = (await this.query(`TENANT#${tenantId}`, { prefix: 'EVENT#', limit: 100, newestFirst: true })).filter((link) => link.statusCode === 'open');
    const events = await Promise.all(links.map((link) => this.getEvent(link.eventId as string)));
    return events.filter((event): event is HealthEvent => event?.statusCode === 'open');
  }

  /**
   * The notice and its outbox item (claimed by the recorder) in one transaction, so a notice is
   * never recorded without the entry that gets it delivered. A cancellation is "recorded before"
   * when the notice is there; otherwise a concurrent recording was in flight, and it is tried again.
   */
  async recordNotice(notice: Notice, claim: NoticeClaim): Promise<boolean> {
    const key = noticeKey(notice.tenantId, notice.noticeId);
    const expires = expiresAt(notice.at);
    const outcome = await this.noticeTransaction(
      [
        { Put: { TableName: this.tableName, Item: { ...key, ...notice, expiresAt: expires }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: this.tableName, Item: { ...outboxKey(notice.noticeId), notice, claimedBy: claim.by, claimedUntil: claim.until, expiresAt: expires }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      async () => ((await this.exists(key)) ? 'settled' : 'retry'),
    );
    return outcome === 'written';
  }

  /**
   * One notice transaction. A cancellation is handed to `onCancelled`, which either settles it
   * ('settled': nothing is left to write) or finds the items unchanged ('retry': a concurrent
   * transaction on them was in flight), and then it is tried again (NOTICE_TRANSACTION_POLICY).
   */
  private async noticeTransaction(
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
    onCancelled: () => Promise<'settled' | 'retry'>,
  ): Promise<'written' | 'settled'> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return 'written';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if ((await onCancelled()) === 'settled') return 'settled';
        if (attempt >= NOTICE_TRANSACTION_POLICY.maxAttempts) throw error;
        await sleep(NOTICE_TRANSACTION_POLICY.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  private async exists(key: { pk: string; sk: string }): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'pk' }));
    return Item !== undefined;
  }

  async undeliveredNotices(limit: number): Promise<readonly UndeliveredNotice[]> {
    return (await this.query('OUTBOX', { limit })).map((item) => ({
      notice: item.notice as Notice,
      claim: { by: item.claimedBy as string, until: item.claimedUntil as string },
      failedDeliveries: (item.failedDeliveries as number | undefined) ?? 0,
    }));
  }

  async claimNotice(noticeId: string, claim: NoticeClaim, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboxKey(noticeId),
          UpdateExpression: 'SET claimedBy = :by, claimedUntil = :until',
          // ISO timestamps of one format compare as strings in time order.
          ConditionExpression: 'attribute_exists(pk) AND claimedUntil < :now',
          ExpressionAttributeValues: { ':by': claim.by, ':until': claim.until, ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseNotice(noticeId: string, claim: NoticeClaim, released: NoticeClaim, failure: FailedDelivery): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboxKey(noticeId),
          UpdateExpression: 'SET claimedUntil = :released, failedDeliveries = :failed, lastFailure = :failure',
          ConditionExpression: 'claimedBy = :by AND claimedUntil = :until',
          ExpressionAttributeValues: { ':released': released.until, ':failed': failure.failedDeliveries, ':failure': failure, ':by': claim.by, ':until': claim.until },
        }),
      );
    } catch (error) {
      // Delivered meanwhile, or claimed by another after this claim ended: no longer this claim's to give up.
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** The outbox item out and the dead letter in, in one transaction held by the claim (kept as long as the notice). */
  async deadLetterNotice(notice: Notice, claim: NoticeClaim, failure: FailedDelivery): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: outboxKey(notice.noticeId),
                ConditionExpression: 'claimedBy = :by AND claimedUntil = :until',
                ExpressionAttributeValues: { ':by': claim.by, ':until': claim.until },
              },
            },
            { Put: { TableName: this.tableName, Item: { ...deadLetterKey(notice.noticeId), notice, lastFailure: failure, expiresAt: expiresAt(notice.at) } } },
          ],
        }),
      );
    } catch (error) {
      // As in releaseNotice: the claim is no longer this one's, so neither is the notice.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async deadLetteredNotices(limit: number): Promise<readonly DeadLetteredNotice[]> {
    return (await this.query('DEADLETTER', { limit })).map((item) => ({ notice: item.notice as Notice, lastFailure: item.lastFailure as FailedDelivery }));
  }

  /** The dead letter out and an outbox item due after `now` in, in one transaction: false when the dead letter is not there. */
  async redriveNotice(noticeId: string, now: Date): Promise<boolean> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: deadLetterKey(noticeId), ConsistentRead: true }));
    if (!Item) return false;
    const notice = Item.notice as Notice;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.tableName, Key: deadLetterKey(noticeId), ConditionExpression: 'attribute_exists(pk)' } },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...outboxKey(noticeId), notice, claimedBy: 'redrive', claimedUntil: now.toISOString(), failedDeliveries: 0, expiresAt: expiresAt(notice.at) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      // Redriven by another request meanwhile.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * `deliveredAt` on the notice (the first delivery's time is kept) and the outbox item removed,
   * in one transaction. A cancellation with the notice gone (its retention ended) removes the
   * outbox item alone; otherwise a concurrent write was in flight, and it is tried again.
   */
  async markNoticeDelivered(notice: Notice, at: Date): Promise<void> {
    const key = noticeKey(notice.tenantId, notice.noticeId);
    const outbox = outboxKey(notice.noticeId);
    await this.noticeTransaction(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET deliveredAt = if_not_exists(deliveredAt, :at)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': at.toISOString() },
          },
        },
        { Delete: { TableName: this.tableName, Key: outbox } },
      ],
      async () => {
        if (await this.exists(key)) return 'retry';
        await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: outbox }));
        return 'settled';
      },
    );
  }

  async claimAction(eventId: string, volumeId: string): Promise<boolean> {
    try {
      await this.put({ pk: `ACTION#${eventId}`, sk: volumeId }, 'attribute_not_exists(pk)');
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async noticesOfTenant(tenantId: string, limit: number): Promise<readonly Notice[]> {
    return (await this.query(`TENANT#${tenantId}`, { prefix: 'NOTICE#', limit })).map((item) => {
      // Delivery state is the outbox's, not part of the notice the tenant reads.
      const { deliveredAt: _delivered, ...notice } = strip<Notice & { deliveredAt?: string }>(item);
      return notice;
    });
  }

  async getRemediation(tenantId: string): Promise<RemediationSettings | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `SETTINGS#${tenantId}`, sk: 'REMEDIATION' } }));
    return Item ? (Item.settings as RemediationSettings) : undefined;
  }

  async putRemediation(tenantId: string, settings: RemediationSettings): Promise<void> {
    await this.put({ pk: `SETTINGS#${tenantId}`, sk: 'REMEDIATION', settings });
  }

  async getWebhook(tenantId: string): Promise<Webhook | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `SETTINGS#${tenantId}`, sk: 'WEBHOOK' } }));
    return Item ? { url: Item.url as string, secret: Item.secret as string } : undefined;
  }

  async putWebhook(tenantId: string, webhook: Webhook): Promise<void> {
    await this.put({ pk: `SETTINGS#${tenantId}`, sk: 'WEBHOOK', ...webhook });
  }
}
