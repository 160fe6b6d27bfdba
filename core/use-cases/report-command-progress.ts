import { isProgress, type CommandProgress } from '../command-progress';
import { NotFoundError } from '../errors';
import type { HostCommandQueue, HostRepository, TaskCallbacks } from '../ports';
import { authorizeHost } from './authorize-host';

export interface ReportCommandProgressDeps {
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly callbacks: TaskCallbacks;
  readonly now: () => Date;
}

/**
 * A host says a command is still running, and how far it is. When that is progress (isProgress),
 * it is recorded on the command and the waiting workflow task gets a heartbeat, so a long task
 * (a mirror build that grows with the volume) fails only when progress stops, not after a fixed
 * time. A report for a command that already finished changes nothing.
 */
export async function reportCommandProgress(
  deps: ReportCommandProgressDeps,
  principalArn: string,
  hostId: string,
  commandId: string,
  report: CommandProgress,
): Promise<{ commandId: string; progress: 'recorded' | 'unchanged' | 'finished'; workflow: 'delivered' | 'expired' | 'none' }> {
  await authorizeHost(deps.hosts, principalArn, hostId);
  const command = await deps.commands.get(hostId, commandId);
  if (!command) throw new NotFoundError(`command ${commandId} does not exist for host ${hostId}`, { hostId, commandId });
  if (command.status !== 'pending') return { commandId, progress: 'finished', workflow: 'none' };
  if (!isProgress(report, command.progress)) return { commandId, progress: 'unchanged', workflow: 'none' };
  if (!(await deps.commands.recordProgress(hostId, commandId, report, deps.now()))) return { commandId, progress: 'finished', workflow: 'none' };
  const workflow = command.taskToken ? await deps.callbacks.heartbeat(command.taskToken) : 'none';
  return { commandId, progress: 'recorded', workflow };
}
