import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient, BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbHostCommandQueue } from '../../adapters/dynamodb-host-command-queue';
import { COMMAND_RETENTION_DAYS, HostCommandStatus } from '../../core/host-command';
import { newCommandId } from '../../core/ids';
import { deployment } from './support/local-cloud';
import { invokeFunction } from './support/invoke-function';

/**
 * Pins issue 7 "host command delivery breaks as history grows": with 10,000 finished commands
 * in a host's partition of the emulator's commands table (past DynamoDB's 1 MB query page), a
 * new command is still delivered, and the scheduled purge removes the finished ones.
 */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const queue = new DynamoDbHostCommandQueue(deployment.hostCommandsTableName, documents);
const FINISHED = 10_000;
const DAY_MS = 86_400_000;
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const purgeFunctionName = outputs.BlockplaneApi.PurgeFinishedCommandsFunctionName;

async function writeFinishedCommands(hostId: string, count: number, completedAt: Date): Promise<void> {
  const items = Array.from({ length: count }, (_, i) => ({
    hostId,
    commandId: newCommandId(new Date(completedAt.getTime() - DAY_MS + i)),
    type: 'create-copy',
    // About what a real create-copy carries, so 10,000 of them are several MB.
    payload: { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', role: 'mirror', sizeGiB: 1, type: 'hdd', iops: 100, generation: 1, note: 'x'.repeat(200) },
    status: HostCommandStatus.succeeded,
    createdAt: completedAt.toISOString(),
    completedAt: completedAt.toISOString(),
    result: { copyId: 'cpy-000000000001', nbd: { address: '10.77.0.11', port: 10809, exportName: 'cpy-000000000001' } },
  }));
  const writes = [];
  for (let i = 0; i < items.length; i += 25) {
    writes.push(documents.send(new BatchWriteCommand({ RequestItems: { [deployment.hostCommandsTableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } })));
    if (writes.length >= 16) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

describe('host command queue with a long history', () => {
  const hostId = `queue-${Date.now().toString(36)}`;
  const now = new Date();

  beforeAll(async () => {
    await writeFinishedCommands(hostId, FINISHED, new Date(now.getTime() - (COMMAND_RETENTION_DAYS + 1) * DAY_MS));
  }, 300_000);

  test('when a host has 10,000 finished commands, a new command is delivered on the first take', async () => {
    // Given
    const commandId = newCommandId(now);
    await queue.enqueue({ hostId, commandId, type: 'delete-copy', payload: { volumeId: 'vol-00000000000000002', copyId: 'cpy-000000000002' }, status: 'pending', createdAt: now.toISOString() });
    // When
    const taken = await queue.takeVisible(hostId, now, 10);
    // Then
    expect(taken.map((command) => command.commandId)).toEqual([commandId]);
    expect(await queue.takeVisible(hostId, now, 10)).toEqual([]);
  });

  test('when a poll releases the commands it took, the next take gets them again, and a finished one stays finished', async () => {
    // Given two taken commands, one of which finished meanwhile
    const releasedId = newCommandId(now);
    const finishedId = newCommandId(now);
    for (const commandId of [releasedId, finishedId]) {
      await queue.enqueue({ hostId: `${hostId}-r`, commandId, type: 'delete-copy', payload: { volumeId: 'vol-00000000000000003', copyId: 'cpy-000000000003' }, status: 'pending', createdAt: now.toISOString() });
    }
    expect((await queue.takeVisible(`${hostId}-r`, now, 10)).map((command) => command.commandId).sort()).toEqual([releasedId, finishedId].sort());
    await queue.complete(`${hostId}-r`, finishedId, 'succeeded', { result: {} }, now);
    // When
    await queue.release(`${hostId}-r`, [releasedId, finishedId], now);
    // Then
    expect((await queue.takeVisible(`${hostId}-r`, now, 10)).map((command) => command.commandId)).toEqual([releasedId]);
  });

  test('when the purge runs, it deletes every command finished before the retention and keeps the rest', async () => {
    // Given
    const recent = newCommandId(now);
    await queue.enqueue({ hostId, commandId: recent, type: 'set-iops', payload: {}, status: 'pending', createdAt: now.toISOString() });
    await queue.complete(hostId, recent, 'succeeded', { result: {} }, now);
    // When: the function the EventBridge schedule invokes (hourly), run now rather than waiting for the hour
    const outcome = (await invokeFunction(purgeFunctionName, { source: 'aws.events', 'detail-type': 'Scheduled Event' })) as { purged: number };
    // Then
    expect(outcome.purged).toBeGreaterThanOrEqual(FINISHED);
    expect(await queue.purgeFinished(new Date(now.getTime() - COMMAND_RETENTION_DAYS * DAY_MS), 100)).toBe(0);
    expect((await queue.get(hostId, recent))?.status).toBe('succeeded');
    const { Item } = await documents.send(new GetCommand({ TableName: deployment.hostCommandsTableName, Key: { hostId, commandId: recent }, ConsistentRead: true }));
    expect(Item?.pendingHostId).toBeUndefined();
  }, 300_000);
});
