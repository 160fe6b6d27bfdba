import { HOST_TASK_STALLED } from '../command-progress';
import { HostStatus, type Host } from '../host';
import type { HostCommand } from '../host-command';
import type { HostCommandQueue, TaskCallbacks } from '../ports';
import { sendHostCommand } from './send-host-command';

export interface FailStalledCommandsDeps {
  readonly commands: HostCommandQueue;
  readonly callbacks: TaskCallbacks;
  readonly now: () => Date;
  /** A waiting host task with no progress for this long has stalled (`hostCommandTimeoutSeconds`). */
  readonly commandTimeoutSeconds: number;
}

/**
 * Fails the workflow tasks of a host's commands that made no progress (no result, no progress
 * report) for `commandTimeoutSeconds`: the command is recorded failed first (a late result is then
 * refused), then the task is failed with HostTaskStalled, which the workflows catch like a
 * timeout. Step Functions' HeartbeatSeconds does the same on AWS; this is what enforces it where
 * the emulator does not (MiniStack ignores HeartbeatSeconds), and it is harmless where both run.
 *
 * One exception: a `delete-copy` on a host that is unreachable is left to the host. Its task
 * succeeds and the host gets a new `delete-copy` (no task) for when it returns; a host that
 * returns after a crash also deletes, by its recovery report, every copy of a volume that is gone
 * (docs/recovery.md). Without it, a volume with a copy on a dead host could never be deleted: every
 * DELETE ended `error`, its reservations kept. A host that is alive and does not answer still fails.
 */
export async function failStalledCommands(deps: FailStalledCommandsDeps, host: Pick<Host, 'hostId' | 'status'>): Promise<string[]> {
  const { hostId } = host;
  const now = deps.now();
  const ended: string[] = [];
  for (const command of await deps.commands.stalled(hostId, new Date(now.getTime() - deps.commandTimeoutSeconds * 1000))) {
    const leftToHost = host.status === HostStatus.unreachable && command.type === 'delete-copy';
    const message = leftToHost
      ? `host ${hostId} is unreachable: it deletes the copy when it returns`
      : `host ${hostId} reported no progress on ${command.type} for ${deps.commandTimeoutSeconds} s (last at ${command.lastProgressAt ?? command.createdAt})`;
    if (!(await deps.commands.complete(hostId, command.commandId, 'failed', { error: { code: leftToHost ? HOST_UNREACHABLE : HOST_TASK_STALLED, message } }, now))) continue;
    if (leftToHost) await leaveToHost(deps, command, message, now);
    else if (command.taskToken) await deps.callbacks.fail(command.taskToken, HOST_TASK_STALLED, message);
    ended.push(command.commandId);
  }
  return ended;
}

const HOST_UNREACHABLE = 'HostUnreachable';

async function leaveToHost(deps: FailStalledCommandsDeps, command: HostCommand, message: string, now: Date): Promise<void> {
  await sendHostCommand(deps.commands, { hostId: command.hostId, type: command.type, payload: { ...command.payload } }, now);
  if (command.taskToken) await deps.callbacks.succeed(command.taskToken, { deletedWhenHostReturns: true, reason: message });
}
