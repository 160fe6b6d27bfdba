import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbVolumeRepository, TOKEN_RACE_POLICY } from '../../../adapters/dynamodb-volume-repository';
import { aVolume } from '../fakes/builders';

function cancelled(reason: string): Error {
  return Object.assign(new Error(`Transaction cancelled, please refer cancellation reasons for specific reasons [${reason}]`), {
    name: 'TransactionCanceledException',
  });
}

/** A document client that answers each command from a script, the way DynamoDB does under a race. */
function scriptedClient(answer: (command: unknown, calls: number) => unknown) {
  let calls = 0;
  const send = jest.fn(async (command: unknown) => {
    calls += 1;
    const result = answer(command, calls);
    if (result instanceof Error) throw result;
    return result;
  });
  return { client: { send } as unknown as DynamoDBDocumentClient, send };
}

describe('DynamoDbVolumeRepository.create with a client token', () => {
  // Pins issue 7: a create that lost a TransactionConflict to a concurrent create with the same
  // token found no token yet and rethrew, answering 500.
  test('when the transaction is cancelled by a concurrent create still in flight, it retries and then finds the winner', async () => {
    // Given: the first write conflicts, the token is not there yet; the retry is cancelled by the condition and the token is there
    let writes = 0;
    const { client } = scriptedClient((command) => {
      if (command instanceof TransactWriteCommand) {
        writes += 1;
        return cancelled(writes === 1 ? 'None, TransactionConflict' : 'None, ConditionalCheckFailed');
      }
      if (command instanceof GetCommand) return writes === 1 ? {} : { Item: { volumeId: 'vol-0000000000000000a', fingerprint: 'f' } };
      throw new Error('unexpected command');
    });
    const repository = new DynamoDbVolumeRepository('volumes', client);
    // When
    const creation = await repository.create(aVolume({ clientToken: 'token-1' }), 'f');
    // Then
    expect(creation).toEqual({ created: false, existingVolumeId: 'vol-0000000000000000a', existingFingerprint: 'f' });
    expect(writes).toBe(2);
  });

  test('when the transaction keeps being cancelled without a token appearing, it gives up after the policy and throws the cancellation', async () => {
    // Given
    const { client, send } = scriptedClient((command) => (command instanceof TransactWriteCommand ? cancelled('TransactionConflict') : {}));
    const repository = new DynamoDbVolumeRepository('volumes', client);
    // When
    const creating = repository.create(aVolume({ clientToken: 'token-1' }), 'f');
    // Then
    await expect(creating).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(send.mock.calls.filter(([command]) => command instanceof TransactWriteCommand)).toHaveLength(TOKEN_RACE_POLICY.maxAttempts);
  });
});
