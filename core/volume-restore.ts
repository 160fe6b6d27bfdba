/**
 * How far a volume restored from a snapshot is (docs/snapshots.md, "Restore"): each copy is
 * filled by its own host (a create-copy command with `restoreFrom`) whose progress reports say
 * how many of the snapshot's chunks it wrote; the volume is as far as its slowest copy.
 */
import { HostCommandStatus, type HostCommand } from './host-command';

/** Percent of one copy's fill: 100 once its command succeeded, else its reported chunks (0 before any report). */
export function fillPercent(command: Pick<HostCommand, 'status' | 'progress'> | undefined): number {
  if (!command) return 0;
  if (command.status === HostCommandStatus.succeeded) return 100;
  const { current, total } = command.progress ?? {};
  if (current === undefined || !total) return 0;
  // A copy that wrote every chunk still has to fsync and open: 99 until its command answers.
  return Math.min(99, Math.floor((current / total) * 100));
}

/** The restore's percent: the slowest copy's (0 without commands). */
export function restoreProgressPercent(commands: readonly (Pick<HostCommand, 'status' | 'progress'> | undefined)[]): number {
  if (commands.length === 0) return 0;
  return Math.min(...commands.map(fillPercent));
}
