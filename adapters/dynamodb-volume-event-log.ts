import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { VolumeEventLog } from '../core/recovery/ports';
import type { RecoveryNotice } from '../core/recovery/recovery-notice';
import { createDocumentClient } from './dynamodb-document-client';

/** Owner notices in the recovery table: `VOLUME#<id>`/`EVENT#<at>#<random>`, so a backwards query is newest first. */
export class DynamoDbVolumeEventLog implements VolumeEventLog {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async append(notice: RecoveryNotice): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: `VOLUME#${notice.volumeId}`, sk: `EVENT#${notice.at}#${randomBytes(4).toString('hex')}`, ...notice } }),
    );
  }

  async list(volumeId: string, limit: number): Promise<readonly RecoveryNotice[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: { ':pk': `VOLUME#${volumeId}`, ':events': 'EVENT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map(({ pk: _pk, sk: _sk, ...notice }) => notice as unknown as RecoveryNotice);
  }
}
