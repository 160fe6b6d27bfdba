import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecoveryBatch } from '../core/recovery/ports';
import { admitHost, releaseHost, type Admission, type BatchSlots } from '../core/recovery/recovery-batch';
import type { RecoveryPolicy } from '../core/recovery/recovery-policy';
import { createDocumentClient, isConditionFailure } from './dynamodb-document-client';

const BATCH_KEY = { pk: 'BATCH', sk: 'HOSTS' } as const;
/** Concurrent handlers race on the one batch item; each retries its conditional write this often. */
export const BATCH_WRITE_ATTEMPTS = 20;

/**
 * The mass-recovery batch as one item (`BATCH`/`HOSTS`: host id → until when its place holds),
 * changed only by conditional writes over the version read, so concurrent reports never admit
 * more than the batch (core/recovery/recovery-batch.ts decides).
 */
export class DynamoDbRecoveryBatch implements RecoveryBatch {
  constructor(
    private readonly tableName: string,
    private readonly policy: RecoveryPolicy,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
  ) {}

  async admit(hostId: string, now: Date): Promise<Admission> {
    return this.change((slots) => {
      const admission = admitHost(slots, hostId, now, this.policy);
      return { result: admission, slots: admission.admitted ? admission.slots : undefined };
    });
  }

  async release(hostId: string): Promise<void> {
    await this.change((slots) => ({ result: undefined, slots: hostId in slots ? releaseHost(slots, hostId) : undefined }));
  }

  async holders(now: Date): Promise<readonly string[]> {
    const { slots } = await this.read();
    return Object.entries(slots).filter(([, until]) => Date.parse(until) > now.getTime()).map(([id]) => id);
  }

  private async read(): Promise<{ slots: BatchSlots; version: number }> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: BATCH_KEY, ConsistentRead: true }));
    return { slots: (Item?.slots as BatchSlots | undefined) ?? {}, version: (Item?.version as number | undefined) ?? 0 };
  }

  /** Reads, decides, writes over the version read; `slots: undefined` means nothing to write. */
  private async change<T>(decide: (slots: BatchSlots) => { result: T; slots: BatchSlots | undefined }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { slots, version } = await this.read();
      const { result, slots: next } = decide(slots);
      if (!next) return result;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...BATCH_KEY, slots: next, version: version + 1 },
            ...(version === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': version } }),
          }),
        );
        return result;
      } catch (error) {
        if (!isConditionFailure(error) || attempt >= BATCH_WRITE_ATTEMPTS) throw error;
      }
    }
  }
}
