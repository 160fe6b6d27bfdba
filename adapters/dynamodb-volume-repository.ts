import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../core/errors';
import type { VolumeCreation, VolumeListing, VolumePage, VolumeRepository } from '../core/ports';
import type { Volume } from '../core/volume';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/**
 * Creates that race on one client token: up to 5 attempts, waiting 25, 50, 100, 200 ms between
 * them (375 ms in all, well inside the function's 10 s).
 */
export const TOKEN_RACE_POLICY = { maxAttempts: 5, baseDelayMs: 25 } as const;

const volumeKey = (volumeId: string) => ({ pk: `VOLUME#${volumeId}`, sk: 'VOLUME' });
const tokenKey = (tenantId: string, clientToken: string) => ({ pk: `TOKEN#${tenantId}#${clientToken}`, sk: 'TOKEN' });

function toVolume(item: Record<string, unknown>): Volume {
  const { pk: _pk, sk: _sk, ...volume } = item;
  return volume as unknown as Volume;
}

export class DynamoDbVolumeRepository implements VolumeRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async create(volume: Volume, fingerprint: string): Promise<VolumeCreation> {
    const putVolume = {
      Put: { TableName: this.tableName, Item: { ...volumeKey(volume.volumeId), ...volume }, ConditionExpression: 'attribute_not_exists(pk)' },
    };
    if (!volume.clientToken) {
      await this.client.send(new PutCommand(putVolume.Put));
      return { created: true, volume };
    }
    const token = tokenKey(volume.tenantId, volume.clientToken);
    const putToken = {
      Put: {
        TableName: this.tableName,
        Item: { ...token, volumeId: volume.volumeId, fingerprint, createdAt: volume.createdAt },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: [putVolume, putToken] }));
        return { created: true, volume };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: token, ConsistentRead: true }));
        if (existing.Item) {
          return { created: false, existingVolumeId: existing.Item.volumeId as string, existingFingerprint: existing.Item.fingerprint as string };
        }
        // Cancelled without a token stored: a concurrent create with this token was still in
        // flight (TransactionConflict). Try again; one of the racers wins, the others find its token.
        if (attempt >= TOKEN_RACE_POLICY.maxAttempts) throw error;
        await sleep(TOKEN_RACE_POLICY.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async get(volumeId: string): Promise<Volume | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: volumeKey(volumeId), ConsistentRead: true }));
    return Item ? toVolume(Item) : undefined;
  }

  async listByTenant(tenantId: string, listing: VolumeListing): Promise<VolumePage> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':tenant': tenantId };
    for (const field of ['status', 'location', 'type'] as const) {
      const wanted = listing[field];
      if (wanted === undefined) continue;
      filters.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = wanted;
    }
    if (listing.status === undefined) {
      filters.push('#status <> :deleted');
      names['#status'] = 'status';
      values[':deleted'] = 'deleted';
    }
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byTenant',
        KeyConditionExpression: 'tenantId = :tenant',
        FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
        ExpressionAttributeValues: values,
        Limit: listing.limit,
        ExclusiveStartKey: listing.startKey,
        ScanIndexForward: false,
      }),
    );
    return {
      volumes: (page.Items ?? []).map(toVolume),
      lastKey: page.LastEvaluatedKey,
    };
  }

  async save(volume: Volume): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...volumeKey(volume.volumeId), ...volume },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': volume.version - 1 },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`volume ${volume.volumeId} was changed by another writer`, { volumeId: volume.volumeId }, { cause: error });
      }
      throw error;
    }
  }
}
