import { COMMAND_ID_PATTERN } from '../../../../core/ids';
import { sendHostCommand } from '../../../../core/use-cases/send-host-command';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';

describe('sendHostCommand', () => {
  test('when a workflow sends a command with its task token, it queues it pending with the token kept for the result', async () => {
    // Given
    const commands = new InMemoryHostCommandQueue();
    const now = new Date('2025-03-01T00:00:00.000Z');
    // When
    const commandId = await sendHostCommand(
      commands,
      { hostId: 'host-a', type: 'create-copy', payload: { volumeId: 'vol-00000000000000001' }, taskToken: 'token-1' },
      now,
    );
    // Then
    expect(commandId).toMatch(COMMAND_ID_PATTERN);
    expect(await commands.get('host-a', commandId)).toEqual({
      hostId: 'host-a',
      commandId,
      type: 'create-copy',
      payload: { volumeId: 'vol-00000000000000001' },
      taskToken: 'token-1',
      status: 'pending',
      createdAt: now.toISOString(),
    });
  });
});
