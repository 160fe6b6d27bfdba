import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { COMMAND_RETENTION_DAYS, REDELIVERY_AFTER_SECONDS, type HostCommand } from '../core/host-command';
import type { HostCommandQueue } from '../core/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const DAY_SECONDS = 86_400;
const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

function toCommand(item: Record<string, unknown>): HostCommand {
  const { visibleAt: _visibleAt, expiresAt: _expiresAt, completedAt: _completedAt, ...command } = item;
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
        Item: { ...command, expiresAt: epochSeconds(new Date(command.createdAt)) + COMMAND_RETENTION_DAYS * DAY_SECONDS },
        ConditionExpression: 'attribute_not_exists(commandId)',
      }),
    );
  }

  async takeVisible(hostId: string, now: Date, max: number): Promise<readonly HostCommand[]> {
    const nowSeconds = epochSeconds(now);
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'hostId = :host',
        FilterExpression: '#status = :pending AND (attribute_not_exists(visibleAt) OR visibleAt <= :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':host': hostId, ':pending': 'pending', ':now': nowSeconds },
        ConsistentRead: true,
      }),
    );
    const taken: HostCommand[] = [];
    for (const item of page.Items ?? []) {
      if (taken.length >= max) break;
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { hostId, commandId: item.commandId },
            UpdateExpression: 'SET visibleAt = :hidden',
            ConditionExpression: '#status = :pending AND (attribute_not_exists(visibleAt) OR visibleAt <= :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':hidden': nowSeconds + REDELIVERY_AFTER_SECONDS, ':pending': 'pending', ':now': nowSeconds },
          }),
        );
        taken.push(toCommand(item));
      } catch (error) {
        // Another poll handed this command out, or its result arrived, in the meantime.
        if (!isConditionFailure(error)) throw error;
      }
    }
    return taken;
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
          UpdateExpression: 'SET #status = :status, #result = :result, #error = :error, completedAt = :at REMOVE visibleAt',
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
