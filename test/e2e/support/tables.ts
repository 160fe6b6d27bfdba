import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { deployment } from './local-cloud';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Items in the volumes table (volumes and client tokens), to prove bad requests leave no record. */
export async function volumesTableItemCount(): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: deployment.volumesTableName, Select: 'COUNT', ExclusiveStartKey: start as never }));
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

export interface HostAllocation {
  readonly allocatedGiB: number;
  readonly allocatedIops: number;
  readonly reservations: number;
}

/** What the control plane has promised on a host, read straight from its table. */
export async function hostAllocation(hostId: string): Promise<HostAllocation> {
  const { Item } = await documents.send(new GetCommand({ TableName: deployment.hostsTableName, Key: { pk: `HOST#${hostId}`, sk: 'HOST' }, ConsistentRead: true }));
  const ssd = (Item?.capacity as { ssd?: { allocatedGiB: number; allocatedIops: number } } | undefined)?.ssd;
  const reservations = await documents.send(
    new QueryCommand({
      TableName: deployment.hostsTableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `HOST#${hostId}`, ':prefix': 'RESERVATION#' },
      ConsistentRead: true,
    }),
  );
  return { allocatedGiB: ssd?.allocatedGiB ?? NaN, allocatedIops: ssd?.allocatedIops ?? NaN, reservations: reservations.Count ?? 0 };
}

/** The stored volume, including what customers never see (copy endpoints, sealed keys): for checks only an operator could make. */
export async function volumeRecord(volumeId: string): Promise<Record<string, unknown> & {
  copies: { copyId: string; hostId: string; deviceId?: string; role: string; nbd?: { address: string; port: number; exportName: string } }[];
  attachments: { attachmentId: string; clientKey: { identity: string; ciphertext: string } }[];
  replicationKey?: { identity: string; ciphertext: string };
  generation: number;
}> {
  const { Item } = await documents.send(new GetCommand({ TableName: deployment.volumesTableName, Key: { pk: `VOLUME#${volumeId}`, sk: 'VOLUME' }, ConsistentRead: true }));
  if (!Item) throw new Error(`volume ${volumeId} is not in the table`);
  return Item as never;
}
