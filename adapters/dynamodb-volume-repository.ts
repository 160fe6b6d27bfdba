import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidRequestError, VersionConflictError } from '../core/errors';
import type { VolumeCreation, VolumePage, VolumeRepository } from '../core/ports';
import type { Volume } from '../core/volume';
import type { ListVolumesQuery } from '../core/volume-requests';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const volumeKey = (volumeId: string) => ({ pk: `VOLUME#${volumeId}`, sk: 'VOLUME' });
const tokenKey = (tenantId: string, clientToken: string) => ({ pk: `TOKEN#${tenantId}#${clientToken}`, sk: 'TOKEN' });

function toVolume(item: Record<string, unknown>): Volume {
  const { pk: _pk, sk: _sk, ...volume } = item;
  return volume as unknown as Volume;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(token: string, tenantId: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key.tenantId === tenantId && typeof key.pk === 'string' && typeof key.createdAt === 'string') return key;
  } catch {
    // Not base64url JSON: reported as an invalid token below.
  }
  throw new InvalidRequestError('nextToken is not a token this API returned', { nextToken: token });
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
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            putVolume,
            {
              Put: {
                TableName: this.tableName,
                Item: { ...token, volumeId: volume.volumeId, fingerprint, createdAt: volume.createdAt },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return { created: true, volume };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = await this.client.send(new GetCommand({ TableName: this.tableName, Key: token, ConsistentRead: true }));
      if (!existing.Item) throw error;
      return { created: false, existingVolumeId: existing.Item.volumeId as string, existingFingerprint: existing.Item.fingerprint as string };
    }
  }

  async get(volumeId: string): Promise<Volume | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: volumeKey(volumeId), ConsistentRead: true }));
    return Item ? toVolume(Item) : undefined;
  }

  async listByTenant(tenantId: string, query: ListVolumesQuery): Promise<VolumePage> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':tenant': tenantId };
    for (const field of ['status', 'location', 'type'] as const) {
      const wanted = query[field];
      if (wanted === undefined) continue;
      filters.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = wanted;
    }
    if (query.status === undefined) {
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
        Limit: query.limit,
        ExclusiveStartKey: query.nextToken ? decodeCursor(query.nextToken, tenantId) : undefined,
        ScanIndexForward: false,
      }),
    );
    return {
      volumes: (page.Items ?? []).map(toVolume),
      nextToken: page.LastEvaluatedKey ? encodeCursor(page.LastEvaluatedKey) : undefined,
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
