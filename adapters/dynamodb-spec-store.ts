import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../core/errors';
import type { SpecStore } from '../core/audit/ports';
import type { SpecVersion } from '../core/audit/spec';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/**
 * Spec versions in the specs table: every version under `spec` / `version#000001`… (written once,
 * never overwritten) and the pointer `spec` / `current` naming the newest. Publishing writes both
 * in one transaction, conditional on the pointer still naming the version before.
 */
const PK = 'spec';
const versionKey = (version: number) => ({ pk: PK, sk: `version#${String(version).padStart(6, '0')}` });
const CURRENT = { pk: PK, sk: 'current' };

function toSpec(item: Record<string, unknown>): SpecVersion {
  const { pk: _pk, sk: _sk, ...spec } = item;
  return spec as unknown as SpecVersion;
}

export class DynamoDbSpecStore implements SpecStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async current(): Promise<SpecVersion | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: CURRENT, ConsistentRead: true }));
    return Item ? this.get(Item.version as number) : undefined;
  }

  async get(version: number): Promise<SpecVersion | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: versionKey(version), ConsistentRead: true }));
    return Item ? toSpec(Item) : undefined;
  }

  async publish(next: SpecVersion): Promise<void> {
    const previous = next.version - 1;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...CURRENT, version: next.version },
                ConditionExpression: previous === 0 ? 'attribute_not_exists(pk)' : 'version = :previous',
                ...(previous === 0 ? {} : { ExpressionAttributeValues: { ':previous': previous } }),
              },
            },
            { Put: { TableName: this.tableName, Item: { ...versionKey(next.version), ...next }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new VersionConflictError(`spec version ${previous} is no longer current; read the current version and retry`, { version: previous });
      throw error;
    }
  }
}
