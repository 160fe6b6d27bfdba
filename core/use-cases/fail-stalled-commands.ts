import { HOST_TASK_STALLED } from '../command-progress';
import type { HostCommandQueue, TaskCallbacks } from '../ports';

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
 */
export async function failStalledCommands(deps: FailStalledCommandsDeps, hostId: string): Promise<string[]> {
  const now = deps.now();
  const failed: string[] = [];
  for (const command of await deps.commands.stalled(hostId, new Date(now.getTime() - deps.commandTimeoutSeconds * 1000))) {
    const message = `host ${hostId} reported no progress on ${command.type} for ${deps.commandTimeoutSeconds} s (last at ${command.lastProgressAt ?? command.createdAt})`;
    if (!(await deps.commands.complete(hostId, command.commandId, 'failed', { error: { code: HOST_TASK_STALLED, message } }, now))) continue;
    if (command.taskToken) await deps.callbacks.fail(command.taskToken, HOST_TASK_STALLED, message);
    failed.push(command.commandId);
  }
  return failed;
}
