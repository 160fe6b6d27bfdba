import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../core/errors';
import type { PageKey } from '../core/ports';
import type { SnapshotCreation, SnapshotListing, SnapshotPage, SnapshotRepository } from '../core/snapshots/ports';
import type { Snapshot } from '../core/snapshots/snapshot';
import { SnapshotStatus } from '../core/snapshots/snapshot-status';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const snapshotKey = (snapshotId: string) => ({ pk: `snapshot#${snapshotId}`, sk: 'snapshot' });
const tokenKey = (tenantId: string, clientToken: string) => ({ pk: `token#${tenantId}#${clientToken}`, sk: 'token' });

function toItem(snapshot: Snapshot): Record<string, unknown> {
  // The index keys: every snapshot is listed per volume, per tenant and per lineage, newest first.
  return { ...snapshotKey(snapshot.snapshotId), ...snapshot, volumeKey: snapshot.volumeId, tenantKey: snapshot.tenantId, lineageKey: snapshot.lineageId };
}

function toSnapshot(item: Record<string, unknown>): Snapshot {
  const { pk: _pk, sk: _sk, volumeKey: _v, tenantKey: _t, lineageKey: _l, ...snapshot } = item;
  return snapshot as unknown as Snapshot;
}

/**
 * Snapshot records in the snapshots table (docs/snapshots.md, "Records"): one item per snapshot,
 * the `byVolume`, `byTenant` and `byLineage` indexes (sort key `startedAt`), and one item per
 * (tenant, clientToken) written in the same transaction so a retried create finds the first.
 */
export class DynamoDbSnapshotRepository implements SnapshotRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async create(snapshot: Snapshot): Promise<SnapshotCreation> {
    if (!snapshot.clientToken) {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: toItem(snapshot), ConditionExpression: 'attribute_not_exists(pk)' }));
      return { created: true, snapshot };
    }
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: toItem(snapshot), ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...tokenKey(snapshot.tenantId, snapshot.clientToken), snapshotId: snapshot.snapshotId },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { created: true, snapshot };
    } catch (error) {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(snapshot.tenantId, snapshot.clientToken), ConsistentRead: true }));
      if (Item) return { created: false, existingSnapshotId: String(Item.snapshotId) };
      throw error;
    }
  }

  async get(snapshotId: string): Promise<Snapshot | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: snapshotKey(snapshotId), ConsistentRead: true }));
    return Item ? toSnapshot(Item) : undefined;
  }

  async save(snapshot: Snapshot): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(snapshot),
          ConditionExpression: 'version = :previous',
          ExpressionAttributeValues: { ':previous': snapshot.version - 1 },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new VersionConflictError(`snapshot ${snapshot.snapshotId} changed since it was read`, { snapshotId: snapshot.snapshotId }, { cause: error });
      throw error;
    }
  }

  listByVolume(volumeId: string, listing: SnapshotListing): Promise<SnapshotPage> {
    return this.page('byVolume', 'volumeKey', volumeId, listing);
  }

  listByTenant(tenantId: string, listing: SnapshotListing): Promise<SnapshotPage> {
    return this.page('byTenant', 'tenantKey', tenantId, listing);
  }

  async lineage(lineageId: string): Promise<readonly Snapshot[]> {
    const snapshots: Snapshot[] = [];
    let startKey: PageKey | undefined;
    do {
      const page = await this.page('byLineage', 'lineageKey', lineageId, { maxResults: 100, startKey }, true);
      snapshots.push(...page.snapshots);
      startKey = page.lastKey;
    } while (startKey);
    return snapshots.filter((snapshot) => snapshot.status !== SnapshotStatus.deleted);
  }

  private async page(indexName: string, keyName: string, value: string, listing: SnapshotListing, oldestFirst = false): Promise<SnapshotPage> {
    const { Items, LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#key = :value',
        ExpressionAttributeNames: { '#key': keyName },
        ExpressionAttributeValues: { ':value': value },
        ScanIndexForward: oldestFirst,
        Limit: listing.maxResults,
        ...(listing.startKey ? { ExclusiveStartKey: listing.startKey as Record<string, unknown> } : {}),
      }),
    );
    const snapshots = (Items ?? []).map(toSnapshot);
    return { snapshots: oldestFirst ? snapshots : snapshots.filter((snapshot) => snapshot.status !== SnapshotStatus.deleted), ...(LastEvaluatedKey ? { lastKey: LastEvaluatedKey } : {}) };
  }
}
