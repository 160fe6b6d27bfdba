import { ForbiddenError, InvalidStateError, NotFoundError } from '../errors';
import type { Host } from '../host';
import type { HostCommand } from '../host-command';
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
 * the workflow's task. Posting the same outcome again delivers it to the workflow again (the
 * first post may have recorded it and then failed to reach the workflow, and the agent retries
 * on any 5xx): a task that already has it reports `expired`, so the repeat has no second effect.
 * Posting a different outcome after the first is refused.
 */
export async function completeCommand(
  deps: CompleteCommandDeps,
  principalArn: string,
  hostId: string,
  commandId: string,
  report: CommandResultRequest,
): Promise<{ commandId: string; status: CommandResultRequest['status']; workflow: 'delivered' | 'expired' | 'none' | 'already-recorded' }> {
  const host = await authorizeHost(deps.hosts, principalArn, hostId);
  const command = await deps.commands.get(hostId, commandId);
  if (!command) throw new NotFoundError(`command ${commandId} does not exist for host ${hostId}`, { hostId, commandId });
  const problem = report.result ? resultProblem(command, host, report.result) : undefined;
  if (problem) throw new ForbiddenError(`result of command ${commandId} refused: ${problem}`, { hostId, commandId });
  if (command.status !== 'pending') {
    if (command.status !== report.status) {
      throw new InvalidStateError(`command ${commandId} already ${command.status}`, { commandId, status: command.status });
    }
    if (!command.taskToken) return { commandId, status: report.status, workflow: 'already-recorded' };
    const redelivered = await deliver(deps, command, { status: report.status, result: command.result, error: command.error });
    return { commandId, status: report.status, workflow: redelivered === 'delivered' ? 'delivered' : 'already-recorded' };
  }
  const recorded = await deps.commands.complete(hostId, commandId, report.status, { result: report.result, error: report.error }, deps.now());
  if (!recorded) return completeCommand(deps, principalArn, hostId, commandId, report);
  if (!command.taskToken) return { commandId, status: report.status, workflow: 'none' };
  return { commandId, status: report.status, workflow: await deliver(deps, command, report) };
}

function deliver(deps: CompleteCommandDeps, command: HostCommand, report: Pick<CommandResultRequest, 'status' | 'result' | 'error'>) {
  const taskToken = command.taskToken as string;
  return report.status === 'succeeded'
    ? deps.callbacks.succeed(taskToken, { ...(report.result ?? {}), hostId: command.hostId, commandId: command.commandId })
    : deps.callbacks.fail(
        taskToken,
        report.error?.code ?? 'HostCommandFailed',
        `host ${command.hostId} failed ${command.type}: ${report.error?.message ?? 'no message'}`,
      );
}

/**
 * A result speaks only for the copy its command was about, on the host it was sent to: its
 * `copyId` is the command's, and an NBD endpoint it announces is at the host's registered
 * address. Otherwise a host could repoint another host's copy.
 */
function resultProblem(command: HostCommand, host: Host, result: Record<string, unknown>): string | undefined {
  if ('copyId' in result && result.copyId !== command.payload.copyId) {
    return `it names copy ${JSON.stringify(result.copyId)}, but the command is for copy ${JSON.stringify(command.payload.copyId)}`;
  }
  if ('nbd' in result) {
    const address = (result.nbd as { address?: unknown } | null)?.address;
    if (address !== host.address) return `its NBD endpoint is at ${JSON.stringify(address)}, not at the host's address ${host.address}`;
  }
  return undefined;
}
