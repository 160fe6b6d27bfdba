import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHostRepository, RELEASE_ATTEMPTS } from '../../../adapters/dynamodb-host-repository';
import { VersionConflictError } from '../../../core/errors';
import { FORMER_DEPENDENCY_SECONDS } from '../../../core/health/dependency-memory';

const RESERVATION = { hostId: 'host-a', volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001', type: 'ssd', sizeGiB: 10, iops: 3000 };

/** A document client that holds one reservation and cancels the first `cancellations` release transactions. */
function clientThatCancels(cancellations: number) {
  let reservationExists = true;
  let left = cancellations;
  const transactions: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetCommand) return { Item: reservationExists ? { pk: 'HOST#host-a', sk: 'RESERVATION#…', ...RESERVATION } : undefined };
      if (command instanceof TransactWriteCommand) {
        transactions.push(command.input);
        if (left-- > 0) throw Object.assign(new Error('Transaction cancelled'), { name: 'TransactionCanceledException' });
        reservationExists = false;
        return {};
      }
      throw new Error(`unexpected ${String(command)}`);
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, transactions, exists: () => reservationExists };
}

describe('DynamoDbHostRepository.release', () => {
  test('pins issue 7: when the release transaction is cancelled while the reservation still exists (a concurrent write to the host), it is retried, not counted as released', async () => {
    // Given
    const { client, transactions, exists } = clientThatCancels(1);
    const hosts = new DynamoDbHostRepository('hosts', client);
    // When
    await hosts.release([RESERVATION]);
    // Then
    expect(transactions).toHaveLength(2);
    expect(exists()).toBe(false);
  });

  test('when it is cancelled every time, it gives up after RELEASE_ATTEMPTS with VersionConflictError instead of leaking silently', async () => {
    const { client, transactions } = clientThatCancels(Infinity);
    await expect(new DynamoDbHostRepository('hosts', client).release([RESERVATION])).rejects.toThrow(VersionConflictError);
    expect(transactions).toHaveLength(RELEASE_ATTEMPTS);
  });

  test('when the reservation is gone (a concurrent release won), it is released without a transaction', async () => {
    const { client, transactions } = clientThatCancels(0);
    const hosts = new DynamoDbHostRepository('hosts', client);
    await hosts.release([RESERVATION]);
    await hosts.release([RESERVATION]);
    expect(transactions).toHaveLength(1);
  });

  test('when a reservation is released, the same transaction remembers the copy as a former dependent of the host, expiring after FORMER_DEPENDENCY_SECONDS', async () => {
    const { client, transactions } = clientThatCancels(0);
    const before = Math.floor(Date.now() / 1000);
    await new DynamoDbHostRepository('hosts', client).release([RESERVATION]);
    const items = (transactions[0] as { TransactItems: { Put?: { Item: Record<string, unknown> } }[] }).TransactItems;
    const former = items.find((item) => item.Put)?.Put?.Item;
    expect(former).toMatchObject({ pk: 'HOST#host-a', sk: `FORMER#${RESERVATION.volumeId}#${RESERVATION.copyId}`, volumeId: RESERVATION.volumeId, goneAt: expect.any(String) });
    expect(former?.expiresAt).toBeGreaterThanOrEqual(before + FORMER_DEPENDENCY_SECONDS);
  });
});
