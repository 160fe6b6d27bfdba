import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantRequestQuota } from '../core/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/** A window's counter outlives its second by this much, then TTL removes it. */
const COUNTER_TTL_SECONDS = 120;

/**
 * One counter item per tenant and second (`tenantId`, `window`); a request is admitted while
 * the counter is below the limit (one conditional update, atomic under concurrency).
 */
export class DynamoDbTenantRequestQuota implements TenantRequestQuota {
  constructor(
    private readonly tableName: string,
    private readonly requestsPerSecond: number,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async take(tenantId: string, now: Date): Promise<boolean> {
    const second = Math.floor(now.getTime() / 1000);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId, window: String(second) },
          UpdateExpression: 'ADD requests :one SET expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(requests) OR requests < :limit',
          ExpressionAttributeValues: { ':one': 1, ':limit': this.requestsPerSecond, ':expires': second + COUNTER_TTL_SECONDS },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
