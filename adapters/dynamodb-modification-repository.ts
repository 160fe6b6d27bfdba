import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidRequestError, VersionConflictError } from '../core/errors';
import type { Modification } from '../core/modification';
import type { ModificationPage, ModificationRepository, ModificationToken } from '../core/modification-ports';
import type { PageKey } from '../core/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/**
 * Modifications live in the volumes table, next to their volume: `pk = VOLUME#<volumeId>`,
 * `sk = MODIFICATION#<modificationId>` (ids are time-ordered, so a query backwards is newest
 * first); a client token is one item `MODTOKEN#<tenant>#<volume>#<token>`.
 */
const PREFIX = 'MODIFICATION#';
const modificationKey = (volumeId: string, modificationId: string) => ({ pk: `VOLUME#${volumeId}`, sk: `${PREFIX}${modificationId}` });
const tokenKey = (tenantId: string, volumeId: string, clientToken: string) => ({ pk: `MODTOKEN#${tenantId}#${volumeId}#${clientToken}`, sk: 'TOKEN' });

function toModification(item: Record<string, unknown>): Modification {
  const { pk: _pk, sk: _sk, ...modification } = item;
  return modification as unknown as Modification;
}

export class DynamoDbModificationRepository implements ModificationRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async create(modification: Modification): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...modificationKey(modification.volumeId, modification.modificationId), ...modification },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(volumeId: string, modificationId: string): Promise<Modification | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: modificationKey(volumeId, modificationId), ConsistentRead: true }));
    return Item ? toModification(Item) : undefined;
  }

  async listByVolume(volumeId: string, listing: { readonly limit: number; readonly startKey?: PageKey }): Promise<ModificationPage> {
    // A page token is bound to its tenant, not to the volume: one from another volume's listing is refused here.
    if (listing.startKey && (listing.startKey.pk !== `VOLUME#${volumeId}` || typeof listing.startKey.sk !== 'string' || !listing.startKey.sk.startsWith(PREFIX))) {
      throw new InvalidRequestError("nextToken belongs to another volume's listing", { volumeId });
    }
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `VOLUME#${volumeId}`, ':prefix': PREFIX },
        Limit: listing.limit,
        ExclusiveStartKey: listing.startKey,
        ScanIndexForward: false,
        ConsistentRead: true,
      }),
    );
    return { modifications: (page.Items ?? []).map(toModification), lastKey: page.LastEvaluatedKey };
  }

  async save(modification: Modification): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...modificationKey(modification.volumeId, modification.modificationId), ...modification },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': modification.version - 1 },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`modification ${modification.modificationId} was changed by another writer`, { modificationId: modification.modificationId }, { cause: error });
      }
      throw error;
    }
  }

  async tokenOf(tenantId: string, volumeId: string, clientToken: string): Promise<ModificationToken | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(tenantId, volumeId, clientToken), ConsistentRead: true }));
    return Item ? { modificationId: Item.modificationId as string, fingerprint: Item.fingerprint as string } : undefined;
  }

  async rememberToken(tenantId: string, volumeId: string, clientToken: string, token: ModificationToken): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...tokenKey(tenantId, volumeId, clientToken), ...token },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
