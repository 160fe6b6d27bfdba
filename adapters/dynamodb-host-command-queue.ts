import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { COMMAND_RETENTION_DAYS, REDELIVERY_AFTER_SECONDS, type HostCommand } from '../core/host-command';
import type { HostCommandQueue } from '../core/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const DAY_SECONDS = 86_400;
const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * Sparse index of pending commands only (`pendingHostId` is removed when a result is recorded),
 * sorted by when each becomes visible: a take reads pending commands and nothing else, however
 * many finished ones the host's partition holds.
 */
export const PENDING_INDEX = 'pendingByHost';
/** Index pages one take reads at most (each holds at least `max` candidates). */
export const MAX_TAKE_PAGES = 5;
/** DynamoDB's BatchWriteItem limit, and how often unprocessed deletes are sent again. */
const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 5;

function toCommand(item: Record<string, unknown>): HostCommand {
  const { visibleAt: _visibleAt, expiresAt: _expiresAt, completedAt: _completedAt, pendingHostId: _pendingHostId, ...command } = item;
  return command as unknown as HostCommand;
}

export class DynamoDbHostCommandQueue implements HostCommandQueue {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async enqueue(command: HostCommand): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...command,
          pendingHostId: command.hostId,
          visibleAt: epochSeconds(new Date(command.createdAt)),
          expiresAt: epochSeconds(new Date(command.createdAt)) + COMMAND_RETENTION_DAYS * DAY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(commandId)',
      }),
    );
  }

  async takeVisible(hostId: string, now: Date, max: number): Promise<readonly HostCommand[]> {
    const nowSeconds = epochSeconds(now);
    const taken: HostCommand[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_TAKE_PAGES && taken.length < max; page++) {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: PENDING_INDEX,
          KeyConditionExpression: 'pendingHostId = :host AND visibleAt <= :now',
          ExpressionAttributeValues: { ':host': hostId, ':now': nowSeconds },
          Limit: max,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of result.Items ?? []) {
        if (taken.length >= max) break;
        if (await this.hide(hostId, String(item.commandId), nowSeconds)) taken.push(toCommand(item));
      }
      start = result.LastEvaluatedKey;
      if (!start) break;
    }
    return taken;
  }

  async release(hostId: string, commandIds: readonly string[], now: Date): Promise<void> {
    for (const commandId of commandIds) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { hostId, commandId },
            UpdateExpression: 'SET visibleAt = :now',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':now': epochSeconds(now), ':pending': 'pending' },
          }),
        );
      } catch (error) {
        // Its result arrived meanwhile: nothing to hand out again.
        if (!isConditionFailure(error)) throw error;
      }
    }
  }

  /** Hides a visible pending command for the redelivery delay; false if another poll took it or its result arrived. */
  private async hide(hostId: string, commandId: string, nowSeconds: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { hostId, commandId },
          UpdateExpression: 'SET visibleAt = :hidden',
          ConditionExpression: '#status = :pending AND visibleAt <= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':hidden': nowSeconds + REDELIVERY_AFTER_SECONDS, ':pending': 'pending', ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      // The index is eventually consistent: another poll handed this command out, or its result arrived, in the meantime.
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async purgeFinished(completedBefore: Date, maxItems: number): Promise<number> {
    let purged = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: 'hostId, commandId',
          FilterExpression: '#status <> :pending AND completedAt < :cutoff',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':cutoff': completedBefore.toISOString() },
          ExclusiveStartKey: start,
        }),
      );
      const keys = (page.Items ?? []).slice(0, maxItems - purged).map((item) => ({ hostId: item.hostId, commandId: item.commandId }));
      for (let i = 0; i < keys.length; i += BATCH_SIZE) await this.deleteBatch(keys.slice(i, i + BATCH_SIZE));
      purged += keys.length;
      start = page.LastEvaluatedKey;
    } while (start && purged < maxItems);
    return purged;
  }

  private async deleteBatch(keys: readonly Record<string, unknown>[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) throw new Error(`${requests.length} finished commands were still unprocessed after ${MAX_BATCH_ATTEMPTS} attempts`);
      const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
      requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
    }
  }

  async get(hostId: string, commandId: string): Promise<HostCommand | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { hostId, commandId }, ConsistentRead: true }));
    return Item ? toCommand(Item) : undefined;
  }

  async complete(
    hostId: string,
    commandId: string,
    status: 'succeeded' | 'failed',
    outcome: { result?: Record<string, unknown>; error?: { code: string; message: string } },
    at: Date,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { hostId, commandId },
          UpdateExpression: 'SET #status = :status, #result = :result, #error = :error, completedAt = :at REMOVE visibleAt, pendingHostId',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status', '#result': 'result', '#error': 'error' },
          ExpressionAttributeValues: {
            ':status': status,
            ':result': outcome.result ?? null,
            ':error': outcome.error ?? null,
            ':pending': 'pending',
            ':at': at.toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordProgress(hostId: string, commandId: string, progress: { current?: number; total?: number }, at: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { hostId, commandId },
          UpdateExpression: 'SET lastProgressAt = :at, progress = :progress',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':at': at.toISOString(), ':progress': progress, ':pending': 'pending' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async stalled(hostId: string, before: Date): Promise<readonly HostCommand[]> {
    const stalled: HostCommand[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'hostId = :host',
          FilterExpression: '#status = :pending AND attribute_exists(taskToken) AND ((attribute_exists(lastProgressAt) AND lastProgressAt < :before) OR (attribute_not_exists(lastProgressAt) AND createdAt < :before))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':host': hostId, ':pending': 'pending', ':before': before.toISOString() },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      stalled.push(...(page.Items ?? []).map(toCommand));
      start = page.LastEvaluatedKey;
    } while (start);
    return stalled;
  }
}
