import { InvalidStateError, NotFoundError } from '../errors';
import type { CommandResultRequest } from '../host-requests';
import type { HostCommandQueue, HostRepository, TaskCallbacks } from '../ports';
import { authorizeHost } from './authorize-host';

export interface CompleteCommandDeps {
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly callbacks: TaskCallbacks;
  readonly now: () => Date;
}

/**
 * Records a host's result for a command once and, when a workflow waits for it, completes
 * the workflow's task. Posting the same outcome again is acknowledged without a second
 * effect; posting a different outcome after the first is refused.
 */
export async function completeCommand(
  deps: CompleteCommandDeps,
  principalArn: string,
  hostId: string,
  commandId: string,
  report: CommandResultRequest,
) {
  await authorizeHost(deps.hosts, principalArn, hostId);
  const command = await deps.commands.get(hostId, commandId);
  if (!command) throw new NotFoundError(`command ${commandId} does not exist for host ${hostId}`, { hostId, commandId });
  if (command.status !== 'pending') {
    if (command.status === report.status) return { commandId, status: command.status, workflow: 'already-recorded' as const };
    throw new InvalidStateError(`command ${commandId} already ${command.status}`, { commandId, status: command.status });
  }
  const recorded = await deps.commands.complete(hostId, commandId, report.status, { result: report.result, error: report.error }, deps.now());
  if (!recorded) return completeCommand(deps, principalArn, hostId, commandId, report);
  if (!command.taskToken) return { commandId, status: report.status, workflow: 'none' as const };
  const workflow =
    report.status === 'succeeded'
      ? await deps.callbacks.succeed(command.taskToken, { ...(report.result ?? {}), hostId, commandId })
      : await deps.callbacks.fail(
          command.taskToken,
          report.error?.code ?? 'HostCommandFailed',
          `host ${hostId} failed ${command.type}: ${report.error?.message ?? 'no message'}`,
        );
  return { commandId, status: report.status, workflow };
}
