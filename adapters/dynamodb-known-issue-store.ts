import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidStateError, VersionConflictError } from '../core/errors';
import type { KnownIssueStore, Occurrence } from '../core/diagnostics/ports';
import type { ReportOwner } from '../core/diagnostics/report';
import type { KnownIssue, Rule } from '../core/diagnostics/rule';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

/**
 * Known issues in the diagnostics table: the current version of every rule in one partition
 * (`issues`, read whole by each diagnosis), every version under `issue#<id>` (`version#000001`…,
 * never overwritten), occurrences (`occurrence#<at>#<reportId>`, expiring with their report)
 * and feedback (`feedback#<reportId>`) beside them.
 */
const CURRENT = 'issues';
const issueKey = (issueId: string) => ({ pk: CURRENT, sk: issueId });
const versionKey = (issueId: string, version: number) => ({ pk: `issue#${issueId}`, sk: `version#${String(version).padStart(6, '0')}` });

function toIssue(item: Record<string, unknown>): KnownIssue {
  const { pk: _pk, sk: _sk, ...issue } = item;
  return issue as unknown as KnownIssue;
}

export class DynamoDbKnownIssueStore implements KnownIssueStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async listCurrent(owner?: ReportOwner): Promise<readonly KnownIssue[]> {
    const issues: KnownIssue[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': CURRENT }, ExclusiveStartKey: start }),
      );
      issues.push(...(page.Items ?? []).map(toIssue));
      start = page.LastEvaluatedKey;
    } while (start);
    return issues.filter((issue) => issue.scope === 'global' || (owner !== undefined && issue.owner === owner));
  }

  async get(issueId: string): Promise<KnownIssue | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: issueKey(issueId), ConsistentRead: true }));
    return Item ? toIssue(Item) : undefined;
  }

  async put(rule: Rule, scope: KnownIssue['scope'], owner: string | undefined, at: Date): Promise<KnownIssue> {
    const current = await this.get(rule.id);
    if (current && (current.scope !== scope || current.owner !== owner)) {
      throw new InvalidStateError(`known issue ${rule.id} exists with scope ${current.scope}${current.scope === 'private' ? ' (another owner)' : ''}; choose another id`, { issueId: rule.id });
    }
    const issue: KnownIssue = { ...rule, version: (current?.version ?? 0) + 1, scope, ...(owner ? { owner } : {}), updatedAt: at.toISOString() };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...issueKey(rule.id), ...issue },
                ConditionExpression: current ? 'version = :seen' : 'attribute_not_exists(pk)',
                ...(current ? { ExpressionAttributeValues: { ':seen': current.version } } : {}),
              },
            },
            { Put: { TableName: this.tableName, Item: { ...versionKey(rule.id, issue.version), ...issue }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new VersionConflictError(`known issue ${rule.id} changed while it was being stored; retry`, { issueId: rule.id });
      throw error;
    }
    return issue;
  }

  async putIfChanged(rule: Rule, at: Date): Promise<KnownIssue> {
    const current = await this.get(rule.id);
    if (current && sameRule(current, rule)) return current;
    return this.put(rule, 'global', undefined, at);
  }

  async recordOccurrences(issueIds: readonly string[], occurrence: Occurrence, retainUntil: string): Promise<void> {
    const expiresAt = Math.floor(Date.parse(retainUntil) / 1000);
    await Promise.all(
      issueIds.map((issueId) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: `issue#${issueId}`, sk: `occurrence#${occurrence.at}#${occurrence.reportId}`, ...occurrence, expiresAt },
          }),
        ),
      ),
    );
  }

  async occurrences(issueId: string, since: Date, limit: number): Promise<readonly Occurrence[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': `issue#${issueId}`, ':from': `occurrence#${since.toISOString()}`, ':to': 'occurrence#~' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map(({ reportId, owner, hostId, at }) => ({ reportId, owner, at, ...(hostId ? { hostId } : {}) }) as Occurrence);
  }

  async recordFeedback(issueId: string, reportId: string, owner: ReportOwner, helpful: boolean, at: Date): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: `issue#${issueId}`, sk: `feedback#${reportId}`, owner, helpful, at: at.toISOString() } }),
    );
  }
}

function sameRule(current: KnownIssue, rule: Rule): boolean {
  const { version: _v, scope: _s, owner: _o, updatedAt: _u, ...content } = current;
  return JSON.stringify(sortKeys(content)) === JSON.stringify(sortKeys(rule));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]));
  return value;
}
