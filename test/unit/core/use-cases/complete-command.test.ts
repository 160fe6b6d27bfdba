import { ForbiddenError, InvalidStateError, NotFoundError } from '../../../../core/errors';
import type { HostCommand } from '../../../../core/host-command';
import { completeCommand, type CompleteCommandDeps } from '../../../../core/use-cases/complete-command';
import { aHost, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { RecordingTaskCallbacks } from '../../fakes/recording-task-callbacks';

const COMMAND_ID = 'cmd-0000000001-0000abcd';

async function setUp(command: Partial<HostCommand> = {}) {
  const hosts = new InMemoryHostRepository();
  const commands = new InMemoryHostCommandQueue();
  const callbacks = new RecordingTaskCallbacks();
  const clock = new FakeClock();
  hosts.put(aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }));
  await commands.enqueue({
    hostId: 'host-a',
    commandId: COMMAND_ID,
    type: 'create-copy',
    payload: { volumeId: 'vol-00000000000000001', copyId: 'cpy-000000000001' },
    taskToken: 'task-token-1',
    status: 'pending',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...command,
  });
  const deps: CompleteCommandDeps = { hosts, commands, callbacks, now: clock.now };
  return { commands, callbacks, deps };
}

const SUCCEEDED = { status: 'succeeded' as const, result: { copyId: 'cpy-000000000001', nbd: { address: '10.0.0.1', port: 10809, exportName: 'v' } } };
const FAILED = { status: 'failed' as const, error: { code: 'InsufficientSpace', message: 'disk nvme0n1 has 20 GiB free' } };

describe('completeCommand', () => {
  test('when the host reports success, it records it and completes the waiting task with the host, command and result', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp();
    // When
    const answer = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    expect(answer).toEqual({ commandId: COMMAND_ID, status: 'succeeded', workflow: 'delivered' });
    expect(callbacks.calls).toEqual([
      { kind: 'succeed', taskToken: 'task-token-1', output: { hostId: 'host-a', commandId: COMMAND_ID, ...SUCCEEDED.result } },
    ]);
    expect(await commands.get('host-a', COMMAND_ID)).toMatchObject({ status: 'succeeded', result: SUCCEEDED.result });
  });

  test.each([
    ['another copy', { copyId: 'cpy-0000000000ff', nbd: { address: '10.0.0.1', port: 10809, exportName: 'v' } }],
    ["another host's address", { copyId: 'cpy-000000000001', nbd: { address: '10.0.0.2', port: 10809, exportName: 'v' } }],
  ])('when a result names %s, it throws ForbiddenError and records and completes nothing', async (_what, result) => {
    // Given: pins issue 7 "a command result's copyId is never checked against the host"
    const { commands, callbacks, deps } = await setUp();
    // When
    const act = completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, { status: 'succeeded', result });
    // Then
    await expect(act).rejects.toThrow(ForbiddenError);
    expect(callbacks.calls).toEqual([]);
    expect((await commands.get('host-a', COMMAND_ID))?.status).toBe('pending');
  });

  test('when the host reports failure, it fails the waiting task with its error code and a cause naming the host', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp();
    // When
    const answer = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, FAILED);
    // Then
    expect(answer).toEqual({ commandId: COMMAND_ID, status: 'failed', workflow: 'delivered' });
    expect(callbacks.calls).toEqual([
      { kind: 'fail', taskToken: 'task-token-1', error: 'InsufficientSpace', cause: 'host host-a failed create-copy: disk nvme0n1 has 20 GiB free' },
    ]);
    expect(await commands.get('host-a', COMMAND_ID)).toMatchObject({ status: 'failed', error: FAILED.error });
  });

  test('when the same outcome is posted twice, it hands it to the task again, which already has it, and acknowledges', async () => {
    // Given: the first post completed the task; the workflow service answers a second completion with expired
    const { callbacks, deps } = await setUp();
    await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    callbacks.answer = 'expired';
    // When
    const again = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    expect(again).toEqual({ commandId: COMMAND_ID, status: 'succeeded', workflow: 'already-recorded' });
    expect(callbacks.calls.map((c) => c.kind)).toEqual(['succeed', 'succeed']);
  });

  test('pins issue 7: when the success callback fails after the outcome was recorded, the host\'s retry delivers it (no timeout of a completed task)', async () => {
    // Given: the first post records the outcome, then SendTaskSuccess fails (throttled, network)
    const { commands, callbacks, deps } = await setUp();
    const succeed = callbacks.succeed.bind(callbacks);
    let failures = 1;
    callbacks.succeed = async (token, output) => {
      if (failures-- > 0) throw new Error('ThrottlingException');
      return succeed(token, output);
    };
    await expect(completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED)).rejects.toThrow('ThrottlingException');
    expect((await commands.get('host-a', COMMAND_ID))?.status).toBe('succeeded');
    // When: the agent retries the post (it does on any 5xx)
    const retried = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    expect(retried.workflow).toBe('delivered');
    expect(callbacks.calls).toEqual([{ kind: 'succeed', taskToken: 'task-token-1', output: { hostId: 'host-a', commandId: COMMAND_ID, ...SUCCEEDED.result } }]);
  });

  test('when a different outcome is posted after the first, it throws InvalidStateError and keeps the first', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp();
    await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // When
    const act = completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, FAILED);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect(callbacks.calls.map((c) => c.kind)).toEqual(['succeed']);
    expect((await commands.get('host-a', COMMAND_ID))?.status).toBe('succeeded');
  });

  test('when another principal posts the result, it throws ForbiddenError and records nothing', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp();
    // When
    const act = completeCommand(deps, OTHER_HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    await expect(act).rejects.toThrow(ForbiddenError);
    expect(callbacks.calls).toEqual([]);
    expect((await commands.get('host-a', COMMAND_ID))?.status).toBe('pending');
  });

  test('when the command does not exist for that host, it throws NotFoundError', async () => {
    // Given
    const { callbacks, deps } = await setUp();
    // When
    const act = completeCommand(deps, HOST_PRINCIPAL, 'host-a', 'cmd-0000000009-0000ffff', SUCCEEDED);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
    expect(callbacks.calls).toEqual([]);
  });

  test('when no workflow waits for the command, it records the result and completes no task', async () => {
    // Given
    const { commands, callbacks, deps } = await setUp({ taskToken: undefined, type: 'delete-copy' });
    // When
    const answer = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    expect(answer.workflow).toBe('none');
    expect(callbacks.calls).toEqual([]);
    expect((await commands.get('host-a', COMMAND_ID))?.status).toBe('succeeded');
  });

  test('when the waiting task already timed out, it says the workflow answer expired', async () => {
    // Given
    const { callbacks, deps } = await setUp();
    callbacks.answer = 'expired';
    // When
    const answer = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, FAILED);
    // Then
    expect(answer.workflow).toBe('expired');
  });

  test('when a concurrent post records the same outcome first, it acknowledges; handing the outcome over once more is harmless', async () => {
    // Given: the queue says another request recorded the outcome between our read and our write
    const { commands, callbacks, deps } = await setUp();
    const complete = commands.complete.bind(commands);
    let raced = false;
    commands.complete = async (hostId, commandId, status, outcome, at) => {
      if (!raced) {
        raced = true;
        await complete(hostId, commandId, status, outcome, at);
        return false;
      }
      return complete(hostId, commandId, status, outcome, at);
    };
    // When
    const answer = await completeCommand(deps, HOST_PRINCIPAL, 'host-a', COMMAND_ID, SUCCEEDED);
    // Then
    callbacks.answer = 'expired';
    expect(['already-recorded', 'delivered']).toContain(answer.workflow);
    expect(callbacks.calls.map((c) => c.kind)).toEqual(['succeed']);
  });
});
