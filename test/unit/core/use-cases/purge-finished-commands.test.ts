import { COMMAND_RETENTION_DAYS } from '../../../../core/host-command';
import { purgeFinishedCommands } from '../../../../core/use-cases/purge-finished-commands';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';

const NOW = new Date('2025-03-10T00:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

describe('purgeFinishedCommands', () => {
  test('when commands finished before and after the retention exist, it deletes only the older finished ones and keeps pending ones', async () => {
    // Given
    const commands = new InMemoryHostCommandQueue();
    const command = (commandId: string) => ({ hostId: 'host-a', commandId, type: 'delete-copy' as const, payload: {}, status: 'pending' as const, createdAt: daysAgo(30).toISOString() });
    for (const id of ['cmd-old', 'cmd-recent', 'cmd-pending']) await commands.enqueue(command(id));
    await commands.complete('host-a', 'cmd-old', 'succeeded', {}, daysAgo(COMMAND_RETENTION_DAYS + 1));
    await commands.complete('host-a', 'cmd-recent', 'failed', { error: { code: 'X', message: 'y' } }, daysAgo(COMMAND_RETENTION_DAYS - 1));
    // When
    const outcome = await purgeFinishedCommands(commands, NOW);
    // Then
    expect(outcome).toEqual({ purged: 1, completedBefore: daysAgo(COMMAND_RETENTION_DAYS).toISOString() });
    expect(commands.all().map((c) => c.commandId).sort()).toEqual(['cmd-pending', 'cmd-recent']);
  });
});
