import { GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Host } from '../core/host';
import type { HostPage, HostSweepStore, SweepState } from '../core/ports';
import type { SweepContinuity } from '../core/sweep-continuity';
import { createDocumentClient } from './dynamodb-document-client';

/** The sweep's own item in the hosts table; it has no `location`, so the byLocation index never shows it. */
const SWEEP_KEY = { pk: 'SWEEP', sk: 'SILENT-HOSTS' } as const;

/**
 * The silent-host sweep's state and its walk through the hosts table. The walk is a scan of
 * `limit` items per batch (host and reservation items; only hosts are returned), resumed from
 * the stored cursor, so its cost per batch is bounded whatever the fleet's size.
 */
export class DynamoDbHostSweepStore implements HostSweepStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async load(): Promise<SweepState> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: SWEEP_KEY, ConsistentRead: true }));
    if (!Item) return {};
    return { continuity: Item.continuity as SweepContinuity | undefined, cursor: Item.cursor as string | undefined };
  }

  async save(state: SweepState): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...SWEEP_KEY, ...state } }));
  }

  async listHosts(cursor: string | undefined, limit: number): Promise<HostPage> {
    const page = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: limit,
        FilterExpression: 'sk = :host',
        ExpressionAttributeValues: { ':host': 'HOST' },
        ExclusiveStartKey: cursor ? decodeCursor(cursor) : undefined,
        ConsistentRead: true,
      }),
    );
    return {
      hosts: (page.Items ?? []).map(({ pk: _pk, sk: _sk, ...host }) => host as unknown as Host),
      nextCursor: page.LastEvaluatedKey ? Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url') : undefined,
    };
  }
}

function decodeCursor(cursor: string): Record<string, unknown> | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && typeof (key as { pk?: unknown }).pk === 'string') return key as Record<string, unknown>;
  } catch {
    // A cursor this store did not write: the walk starts again from the beginning.
  }
  return undefined;
}
