import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PolicyVolumes } from '../core/modification-ports';
import type { Volume } from '../core/volume';
import { createDocumentClient } from './dynamodb-document-client';

/** The volume items of the volumes table that carry a policy (a filtered scan, page by page). */
export class DynamoDbPolicyVolumes implements PolicyVolumes {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async listWithPolicy(): Promise<readonly Volume[]> {
    const volumes: Volume[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'sk = :volume AND attribute_exists(#policy) AND #status <> :deleted',
          ExpressionAttributeNames: { '#policy': 'policy', '#status': 'status' },
          ExpressionAttributeValues: { ':volume': 'VOLUME', ':deleted': 'deleted' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, ...volume } = item;
        volumes.push(volume as unknown as Volume);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return volumes;
  }
}
