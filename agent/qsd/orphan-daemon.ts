/**
 * A qemu-storage-daemon left running by an agent that died (SIGKILL, OOM): it still serves the
 * copy, and a restarted agent must not let it (a held copy never serves). Found through its
 * pidfile and `/proc/<pid>/cmdline` (only our own daemon on that pidfile counts, so a reused
 * PID is never killed), then SIGKILLed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { promises as fs } from 'node:fs';

/** How long to wait for a killed orphan to be gone (bounded polling, 20 ms steps). */
const ORPHAN_EXIT_TIMEOUT_MS = 5_000;

/** The PID of our daemon that writes `pidfilePath`, if it still runs. */
export async function findDaemonByPidfile(pidfilePath: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt((await fs.readFile(pidfilePath, 'utf8')).trim(), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    return cmdline.includes('qemu-storage-daemon') && cmdline.includes(pidfilePath) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILLs the daemon of `pidfilePath` if it runs; returns its PID when it did. */
export async function killOrphanDaemon(pidfilePath: string): Promise<number | undefined> {
  const pid = await findDaemonByPidfile(pidfilePath);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: it exited by itself in between.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const deadline = Date.now() + ORPHAN_EXIT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
      // A zombie (state Z) of a process that is not our child is dead enough: it serves nothing.
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return pid;
    } catch {
      return pid;
    }
    await sleep(20);
  }
  return pid;
}
