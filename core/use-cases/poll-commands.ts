import type { HostCommandQueue, HostRepository } from '../ports';
import { authorizeHost } from './authorize-host';
import { deliverCommand, type DeliverCommandDeps } from './deliver-command';

export interface PollCommandsDeps extends DeliverCommandDeps {
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Commands handed out per poll. */
export const MAX_COMMANDS_PER_POLL = 10;
/** How often a long poll looks for new commands while it waits. */
export const POLL_INTERVAL_MS = 250;

/**
 * Long poll: returns as soon as commands are visible, or with none after `waitSeconds`. A poll
 * whose agent is gone (killed while it waited) may still run here; once the host registered
 * again it hands out nothing, and commands it took after that are made visible again for the new
 * agent, instead of staying hidden for the redelivery delay (the restarted agent's `resume-copy`
 * would otherwise wait a minute).
 */
export async function pollCommands(deps: PollCommandsDeps, principalArn: string, hostId: string, waitSeconds: number) {
  const { sessionStartedAt } = await authorizeHost(deps.hosts, principalArn, hostId);
  const superseded = async (): Promise<boolean> => (await deps.hosts.get(hostId))?.sessionStartedAt !== sessionStartedAt;
  const deadline = deps.now().getTime() + waitSeconds * 1000;
  for (;;) {
    const commands = await deps.commands.takeVisible(hostId, deps.now(), MAX_COMMANDS_PER_POLL);
    if (commands.length > 0 && (await superseded())) {
      await deps.commands.release(hostId, commands.map((command) => command.commandId), deps.now());
      return { commands: [] };
    }
    if (commands.length > 0 || deps.now().getTime() + POLL_INTERVAL_MS > deadline) {
      return { commands: await Promise.all(commands.map((command) => deliverCommand(deps, command))) };
    }
    await deps.sleep(POLL_INTERVAL_MS);
    if (await superseded()) return { commands: [] };
  }
}
