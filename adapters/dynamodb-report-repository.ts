import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Diagnosis } from '../core/diagnostics/diagnose';
import type { ReportRepository, ReportSummary } from '../core/diagnostics/ports';
import type { ReportOwner, ReportRecord } from '../core/diagnostics/report';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/** Partition of the sparse `reviewQueue` index: only reports that need review carry it. */
const REVIEW = 'review';
const reportKey = (reportId: string) => ({ pk: `report#${reportId}`, sk: 'report' });
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function toRecord(item: Record<string, unknown>): ReportRecord {
  const { pk: _pk, sk: _sk, ownerKey: _owner, expiresAt: _ttl, review: _review, reviewAt: _reviewAt, ...record } = item;
  return record as unknown as ReportRecord;
}

function toSummary(item: Record<string, unknown>): ReportSummary {
  const { reportId, status, createdAt, retainUntil, uploadExpiresAt, source } = toRecord(item);
  return { reportId, status, createdAt, retainUntil, uploadExpiresAt, source };
}

/**
 * Reports in the diagnostics table (docs/diagnostics.md, "Storage"): one item per report with
 * `expiresAt` (the table's TTL attribute) at the end of its retention, the `byOwner` index for
 * listing and the sparse `reviewQueue` index for reports waiting for an operator.
 */
export class DynamoDbReportRepository implements ReportRepository {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async create(report: ReportRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...reportKey(report.reportId), ...report, ownerKey: report.owner, expiresAt: epochSeconds(report.retainUntil) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(reportId: string): Promise<ReportRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: reportKey(reportId), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  async listByOwner(owner: ReportOwner, limit: number): Promise<readonly ReportSummary[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byOwner',
        KeyConditionExpression: 'ownerKey = :owner',
        ExpressionAttributeValues: { ':owner': owner },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map(toSummary);
  }

  async markProcessing(reportId: string, at: Date): Promise<boolean> {
    return this.transition(reportId, ['awaiting-upload'], 'SET #status = :to, updatedAt = :at', { ':to': 'processing', ':at': at.toISOString() });
  }

  async recordDiagnosis(reportId: string, result: Diagnosis, at: Date): Promise<void> {
    const review = result.needsReview ? ', review = :review, reviewAt = :reviewAt' : '';
    const values: Record<string, unknown> = { ':to': 'diagnosed', ':at': at.toISOString(), ':result': result };
    if (result.needsReview) Object.assign(values, { ':review': REVIEW, ':reviewAt': `${at.toISOString()}#${reportId}` });
    const done = await this.transition(reportId, ['processing'], `SET #status = :to, updatedAt = :at, #result = :result${review}`, values, { '#result': 'result' });
    if (!done) throw new Error(`report ${reportId} is no longer processing; its result was not stored`);
  }

  async recordFailure(reportId: string, reason: string, at: Date): Promise<boolean> {
    return this.transition(reportId, ['awaiting-upload', 'processing'], 'SET #status = :to, updatedAt = :at, reason = :reason', {
      ':to': 'failed',
      ':at': at.toISOString(),
      ':reason': reason,
    });
  }

  async reviewQueue(limit: number) {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'reviewQueue',
        KeyConditionExpression: 'review = :review',
        ExpressionAttributeValues: { ':review': REVIEW },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => {
      const record = toRecord(item);
      return { ...toSummary(item), owner: record.owner, errorSignals: record.result?.errorSignals.count ?? 0 };
    });
  }

  private async transition(
    reportId: string,
    from: readonly string[],
    update: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: reportKey(reportId),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(fromValues).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status', ...names },
          ExpressionAttributeValues: { ...values, ...fromValues },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
