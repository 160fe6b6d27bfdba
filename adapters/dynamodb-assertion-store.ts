import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Assertion } from '../core/audit/assertion';
import type { AssertionStore } from '../core/audit/ports';
import type { ComponentType } from '../core/audit/spec';
import { createDocumentClient } from './dynamodb-document-client';

/**
 * The assertions table: the history, one item per assertion under `<componentId>|<clauseId>` /
 * `<at>#v<specVersion>` (kept HISTORY_DAYS, then expired by TTL), and the latest per pair under
 * `latest#<componentType>` / `<componentId>|<clauseId>` (overwritten by each newer assertion), so
 * an evaluation reads one partition per type.
 */
export const HISTORY_DAYS = 31;
const BATCH = 25;
/** A BatchWrite's unprocessed items are retried up to 5 times, waiting 50, 100, 200, 400 ms. */
const UNPROCESSED_POLICY = { maxAttempts: 5, baseDelayMs: 50 } as const;

const pairKey = (assertion: Pick<Assertion, 'componentId' | 'clauseId'>) => `${assertion.componentId}|${assertion.clauseId}`;

function toAssertion(item: Record<string, unknown>): Assertion {
  const { pk: _pk, sk: _sk, expiresAt: _expires, ...assertion } = item;
  return assertion as unknown as Assertion;
}

export class DynamoDbAssertionStore implements AssertionStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async record(assertions: readonly Assertion[]): Promise<void> {
    const newest = new Map<string, Assertion>();
    for (const assertion of assertions) {
      const seen = newest.get(pairKey(assertion));
      if (!seen || seen.at <= assertion.at) newest.set(pairKey(assertion), assertion);
    }
    const items = [
      ...assertions.map((assertion) => ({
        pk: pairKey(assertion),
        sk: `${assertion.at}#v${assertion.specVersion}`,
        ...assertion,
        expiresAt: Math.floor(Date.parse(assertion.at) / 1000) + HISTORY_DAYS * 86_400,
      })),
      ...[...newest.values()].map((assertion) => ({ pk: `latest#${assertion.componentType}`, sk: pairKey(assertion), ...assertion })),
    ];
    for (let start = 0; start < items.length; start += BATCH) {
      await this.writeAll(items.slice(start, start + BATCH));
    }
  }

  private async writeAll(items: Record<string, unknown>[]): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const { UnprocessedItems } = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = (UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      if (pending.length === 0) return;
      if (attempt >= UNPROCESSED_POLICY.maxAttempts) throw new Error(`${pending.length} assertions stayed unprocessed after ${attempt} attempts`);
      await sleep(UNPROCESSED_POLICY.baseDelayMs * 2 ** (attempt - 1));
    }
  }

  async latest(types: readonly ComponentType[]): Promise<Assertion[]> {
    const all = await Promise.all(types.map((type) => this.queryAll(`latest#${type}`)));
    return all.flat().map(toAssertion);
  }

  async latestAtOrBefore(componentId: string, clauseId: string, at: Date): Promise<Assertion | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk <= :at',
        ExpressionAttributeValues: { ':pk': pairKey({ componentId, clauseId }), ':at': `${at.toISOString()}#~` },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return Items?.[0] ? toAssertion(Items[0]) : undefined;
  }

  private async queryAll(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
