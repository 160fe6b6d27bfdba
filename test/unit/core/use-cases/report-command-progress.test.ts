import { ForbiddenError } from '../../../../core/errors';
import { reportCommandProgress, type ReportCommandProgressDeps } from '../../../../core/use-cases/report-command-progress';
import { aHost, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { RecordingTaskCallbacks } from '../../fakes/recording-task-callbacks';

const COMMAND_ID = 'cmd-0000000001-0000abcd';

async function setUp() {
  const hosts = new InMemoryHostRepository();
  const commands = new InMemoryHostCommandQueue();
  const callbacks = new RecordingTaskCallbacks();
  const clock = new FakeClock('2025-01-01T00:01:00.000Z');
  hosts.put(aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }));
  await commands.enqueue({
    hostId: 'host-a',
    commandId: COMMAND_ID,
    type: 'start-replication',
    payload: {},
    taskToken: 'task-token-1',
    status: 'pending',
    createdAt: '2025-01-01T00:00:00.000Z',
  });
  const deps: ReportCommandProgressDeps = { hosts, commands, callbacks, now: clock.now };
  return { commands, callbacks, clock, deps };
}

describe('reportCommandProgress', () => {
  test('when the figures moved, it records them and gives the waiting task a heartbeat', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp();
    // When
    const answer = await reportCommandProgress(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, { current: 1024, total: 4096 });
    // Then
    expect(answer).toEqual({ commandId: COMMAND_ID, progress: 'recorded', workflow: 'delivered' });
    expect(callbacks.calls).toEqual([{ kind: 'heartbeat', taskToken: 'task-token-1' }]);
    expect(await commands.get('host-a', COMMAND_ID)).toMatchObject({ progress: { current: 1024, total: 4096 }, lastProgressAt: '2025-01-01T00:01:00.000Z' });
  });

  test('when the figures stand still, it is not progress: nothing is recorded and the task gets no heartbeat', async () => {
    // Given
    const { commands, callbacks, clock, deps } = await setUp();
    await reportCommandProgress(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, { current: 1024, total: 4096 });
    clock.advance(10_000);
    // When
    const answer = await reportCommandProgress(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, { current: 1024, total: 4096 });
    // Then
    expect(answer.progress).toBe('unchanged');
    expect(callbacks.calls).toHaveLength(1);
    expect((await commands.get('host-a', COMMAND_ID))?.lastProgressAt).toBe('2025-01-01T00:01:00.000Z');
  });

  test('when the report has no figures, the command is still running and that counts as progress', async () => {
    const { callbacks, deps } = await setUp();
    expect((await reportCommandProgress(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, {})).progress).toBe('recorded');
    expect(callbacks.calls).toEqual([{ kind: 'heartbeat', taskToken: 'task-token-1' }]);
  });

  test('when the command already finished, it changes nothing', async () => {
    const { commands, callbacks, deps } = await setUp();
    await commands.complete('host-a', COMMAND_ID, 'succeeded', { result: {} }, new Date());
    expect(await reportCommandProgress(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, {})).toEqual({ commandId: COMMAND_ID, progress: 'finished', workflow: 'none' });
    expect(callbacks.calls).toEqual([]);
  });

  test('when another principal reports, it throws ForbiddenError', async () => {
    const { deps } = await setUp();
    await expect(reportCommandProgress(deps, OTHER_HOST_PRINCIPAL, 'host-a', COMMAND_ID, {})).rejects.toThrow(ForbiddenError);
  });
});
