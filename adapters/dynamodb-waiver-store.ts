import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WaiverStore } from '../core/audit/ports';
import type { Waiver } from '../core/audit/waiver';
import { createDocumentClient } from './dynamodb-document-client';

/** Waivers in the specs table under `waiver` / `<componentId>|<clauseId>` (a new waiver for the pair replaces the old); expired ones leave by TTL a day after `until`. */
export class DynamoDbWaiverStore implements WaiverStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async put(waiver: Waiver): Promise<void> {
    const expiresAt = Math.floor(Date.parse(waiver.until) / 1000) + 86_400;
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: 'waiver', sk: `${waiver.componentId}|${waiver.clauseId}`, ...waiver, expiresAt } }));
  }

  async list(): Promise<Waiver[]> {
    const waivers: Waiver[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'waiver' }, ExclusiveStartKey: start }),
      );
      for (const { pk: _pk, sk: _sk, expiresAt: _e, ...waiver } of page.Items ?? []) waivers.push(waiver as unknown as Waiver);
      start = page.LastEvaluatedKey;
    } while (start);
    return waivers;
  }
}
