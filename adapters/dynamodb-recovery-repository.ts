import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../core/errors';
import type { RecoveryRepository } from '../core/recovery/ports';
import { dueAtOf } from '../core/recovery/recovery-due';
import type { VolumeRecovery } from '../core/recovery/volume-recovery';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const recoveryKey = (volumeId: string) => ({ pk: `VOLUME#${volumeId}`, sk: 'RECOVERY' });
/** The sparse `byDue` index holds only recoveries with a deadline: one partition, sorted by the deadline. */
const DUE_SHARD = 'due';

/** A volume's recovery in the recovery table (`VOLUME#<id>`/`RECOVERY`), written over the version read. */
export class DynamoDbRecoveryRepository implements RecoveryRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async get(volumeId: string): Promise<VolumeRecovery | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: recoveryKey(volumeId), ConsistentRead: true }));
    return Item ? toRecovery(Item) : undefined;
  }

  async save(recovery: VolumeRecovery): Promise<void> {
    const dueAt = dueAtOf(recovery);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...recoveryKey(recovery.volumeId), ...recovery, ...(dueAt ? { dueShard: DUE_SHARD, dueAt } : {}) },
          ...(recovery.version === 1
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': recovery.version - 1 } }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`the recovery of volume ${recovery.volumeId} was changed by another writer`, { volumeId: recovery.volumeId }, { cause: error });
      }
      throw error;
    }
  }

  async listDue(now: Date, limit: number): Promise<readonly VolumeRecovery[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byDue',
        KeyConditionExpression: 'dueShard = :due AND dueAt <= :now',
        ExpressionAttributeValues: { ':due': DUE_SHARD, ':now': now.toISOString() },
        Limit: limit,
      }),
    );
    return (Items ?? []).map(toRecovery);
  }
}

function toRecovery(item: Record<string, unknown>): VolumeRecovery {
  const { pk: _pk, sk: _sk, dueShard: _shard, dueAt: _due, ...recovery } = item;
  return recovery as unknown as VolumeRecovery;
}
