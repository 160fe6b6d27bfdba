import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ComplianceReportRecord, ComplianceReportRepository } from '../core/audit/ports';
import { createDocumentClient } from './dynamodb-document-client';

/** Compliance report requests in the specs table under `report` / `<reportId>`, expiring after 7 days (their objects stay in S3). */
const key = (reportId: string) => ({ pk: 'report', sk: reportId });

export class DynamoDbComplianceReportRepository implements ComplianceReportRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async create(record: ComplianceReportRecord): Promise<void> {
    const expiresAt = Math.floor(Date.parse(record.createdAt) / 1000) + 7 * 86_400;
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...key(record.reportId), ...record, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(reportId: string): Promise<ComplianceReportRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(reportId), ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = Item;
    return record as unknown as ComplianceReportRecord;
  }

  async markReady(reportId: string, objectKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: key(reportId), UpdateExpression: 'SET #s = :ready, objectKey = :key', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':ready': 'ready', ':key': objectKey } }),
    );
  }

  async markFailed(reportId: string, failure: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: key(reportId), UpdateExpression: 'SET #s = :failed, failure = :failure', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':failed': 'failed', ':failure': failure.slice(0, 1000) } }),
    );
  }
}
