import { REDELIVERY_AFTER_SECONDS, type HostCommand, type HostCommandStatus } from '../../../core/host-command';
import type { HostCommandQueue } from '../../../core/ports';

/**
 * HostCommandQueue in memory, with the semantics of the DynamoDB adapter: a handed-out
 * command is hidden for REDELIVERY_AFTER_SECONDS; `complete` records only the first outcome.
 */
export class InMemoryHostCommandQueue implements HostCommandQueue {
  private readonly commands = new Map<string, { command: HostCommand; visibleAt: number; completedAt?: Date }>();
  private readonly beforeTake: (() => void)[] = [];
  takeCalls = 0;

  /** Runs `interleave` just before the `n`-th next takeVisible call (1 = the next one). */
  interleaveBeforeTake(n: number, interleave: () => void): void {
    this.beforeTake[n - 1] = interleave;
  }

  all(): HostCommand[] {
    return [...this.commands.values()].map(({ command }) => command);
  }

  async enqueue(command: HostCommand): Promise<void> {
    const key = `${command.hostId}#${command.commandId}`;
    if (this.commands.has(key)) throw new Error(`command ${command.commandId} already exists`);
    this.commands.set(key, { command, visibleAt: 0 });
  }

  async takeVisible(hostId: string, now: Date, max: number): Promise<readonly HostCommand[]> {
    this.takeCalls += 1;
    this.beforeTake.shift()?.();
    const taken = [...this.commands.values()]
      .filter(({ command, visibleAt }) => command.hostId === hostId && command.status === 'pending' && visibleAt <= now.getTime())
      .sort((a, b) => a.command.commandId.localeCompare(b.command.commandId))
      .slice(0, max);
    for (const entry of taken) entry.visibleAt = now.getTime() + REDELIVERY_AFTER_SECONDS * 1000;
    return taken.map(({ command }) => command);
  }

  async release(hostId: string, commandIds: readonly string[], now: Date): Promise<void> {
    for (const commandId of commandIds) {
      const entry = this.commands.get(`${hostId}#${commandId}`);
      if (entry?.command.status === 'pending') entry.visibleAt = now.getTime();
    }
  }

  async get(hostId: string, commandId: string): Promise<HostCommand | undefined> {
    return this.commands.get(`${hostId}#${commandId}`)?.command;
  }

  async complete(
    hostId: string,
    commandId: string,
    status: Exclude<HostCommandStatus, 'pending'>,
    outcome: { result?: Record<string, unknown>; error?: { code: string; message: string } },
    at: Date,
  ): Promise<boolean> {
    const entry = this.commands.get(`${hostId}#${commandId}`);
    if (!entry || entry.command.status !== 'pending') return false;
    entry.command = { ...entry.command, status, result: outcome.result, error: outcome.error };
    entry.completedAt = at;
    return true;
  }

  async recordProgress(hostId: string, commandId: string, progress: { current?: number; total?: number }, at: Date): Promise<boolean> {
    const entry = this.commands.get(`${hostId}#${commandId}`);
    if (!entry || entry.command.status !== 'pending') return false;
    entry.command = { ...entry.command, progress, lastProgressAt: at.toISOString() };
    return true;
  }

  async stalled(hostId: string, before: Date): Promise<readonly HostCommand[]> {
    return this.all().filter(
      (c) => c.hostId === hostId && c.status === 'pending' && c.taskToken !== undefined && Date.parse(c.lastProgressAt ?? c.createdAt) < before.getTime(),
    );
  }

  async purgeFinished(completedBefore: Date, maxItems: number): Promise<number> {
    const old = [...this.commands.entries()].filter(([, entry]) => entry.completedAt && entry.completedAt < completedBefore).slice(0, maxItems);
    for (const [key] of old) this.commands.delete(key);
    return old.length;
  }
}
