import { describeCommand, type HostCommand } from '../../../core/host-command';

describe('describeCommand', () => {
  test('when a command is handed to an agent, it never includes the workflow task token', () => {
    // Given
    const command: HostCommand = {
      hostId: 'host-a',
      commandId: 'cmd-0000000001-0000abcd',
      type: 'create-copy',
      payload: { volumeId: 'vol-00000000000000001' },
      taskToken: 'secret-task-token',
      status: 'pending',
      createdAt: '2025-01-01T00:00:00.000Z',
    };
    // When
    const sent = describeCommand(command);
    // Then
    expect(sent).toEqual({
      commandId: command.commandId,
      type: 'create-copy',
      payload: { volumeId: 'vol-00000000000000001' },
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(sent)).not.toContain('secret-task-token');
  });
});
