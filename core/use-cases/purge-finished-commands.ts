import { COMMAND_RETENTION_DAYS } from '../host-command';
import type { HostCommandQueue } from '../ports';

/** Finished commands one run deletes at most; a run that reaches it leaves the rest for the next. */
export const MAX_PURGED_PER_RUN = 20_000;

/**
 * Deletes commands finished more than COMMAND_RETENTION_DAYS ago. Runs on a schedule: the
 * table's TTL does the same on AWS, but TTL deletes when it gets to it (and an emulator may
 * never), so the queue's size never depends on it.
 */
export async function purgeFinishedCommands(commands: HostCommandQueue, now: Date): Promise<{ purged: number; completedBefore: string }> {
  const completedBefore = new Date(now.getTime() - COMMAND_RETENTION_DAYS * 86_400_000);
  const purged = await commands.purgeFinished(completedBefore, MAX_PURGED_PER_RUN);
  return { purged, completedBefore: completedBefore.toISOString() };
}
