import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_ALARM_CONFIG, type Alarm, type AlarmConfig } from '../core/audit/alarms';
import type { AlarmStore, RaisedAlarm } from '../core/audit/ports';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/**
 * Alarms in the specs table: the configuration under `alarms` / `config`; each raised alarm under
 * `alarm` / `<alarmKey>` with `repeatAt` (when it may be raised again) and a TTL a week later. A
 * claim is a conditional put on `repeatAt`, so two evaluations racing raise an alarm once.
 */
export class DynamoDbAlarmStore implements AlarmStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async config(): Promise<AlarmConfig> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: 'alarms', sk: 'config' }, ConsistentRead: true }));
    return (Item?.config as AlarmConfig | undefined) ?? DEFAULT_ALARM_CONFIG;
  }

  async putConfig(config: AlarmConfig): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: 'alarms', sk: 'config', config } }));
  }

  async recentKeys(now: Date): Promise<Set<string>> {
    return new Set((await this.raised()).filter((item) => (item.repeatAt as string) > now.toISOString()).map((item) => item.sk as string));
  }

  async recent(now: Date): Promise<RaisedAlarm[]> {
    const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
    return (await this.raised())
      .filter((item) => (item.raisedAt as string) >= dayAgo)
      .map(({ pk: _pk, sk: _sk, repeatAt: _r, expiresAt: _e, ...alarm }) => alarm as unknown as RaisedAlarm)
      .sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
  }

  async claim(alarms: readonly Alarm[], now: Date, repeatAfterMinutes: number): Promise<RaisedAlarm[]> {
    const raisedAt = now.toISOString();
    const repeatAt = new Date(now.getTime() + repeatAfterMinutes * 60_000).toISOString();
    const claimed: RaisedAlarm[] = [];
    for (const alarm of alarms) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: 'alarm', sk: alarm.alarmKey, ...alarm, raisedAt, repeatAt, expiresAt: Math.floor(Date.parse(repeatAt) / 1000) + 7 * 86_400 },
            ConditionExpression: 'attribute_not_exists(pk) OR repeatAt <= :now',
            ExpressionAttributeValues: { ':now': raisedAt },
          }),
        );
        claimed.push({ ...alarm, raisedAt });
      } catch (error) {
        // Another evaluation raised this alarm within its window: it is not raised twice.
        if (!isConditionFailure(error)) throw error;
      }
    }
    return claimed;
  }

  private async raised(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'alarm' }, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
