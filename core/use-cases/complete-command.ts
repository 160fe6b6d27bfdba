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
  const host = await authorizeHost(deps.hosts, principalArn, hostId);
  const command = await deps.commands.get(hostId, commandId);
  if (!command) throw new NotFoundError(`command ${commandId} does not exist for host ${hostId}`, { hostId, commandId });
  const problem = report.result ? resultProblem(command, host, report.result) : undefined;
  if (problem) throw new ForbiddenError(`result of command ${commandId} refused: ${problem}`, { hostId, commandId });
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
