/**
 * The "running" marker of one qemu-storage-daemon (qemu-7.2 §8, recommendation 1).
 *
 * Written (atomically) before the daemon is started and removed only after the daemon exited
 * with status 0 following a QMP `quit`. If it exists when a daemon is about to start, the
 * previous daemon on these files did not shut down cleanly (SIGKILL, crash, host reset, or the
 * agent died first): mirror jobs and in-memory dirty bitmaps of that run are gone, so replicas
 * must be treated as possibly stale and the next backup must be full.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write';

export interface RunningMarkerContent {
  daemonName: string;
  agentPid: number;
  startedAt: string;
}

export class RunningMarker {
  constructor(readonly path: string) {}

  /** The content left by the previous run, or `undefined` if the last shutdown was clean. */
  async readLeftover(): Promise<RunningMarkerContent | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as RunningMarkerContent;
    } catch {
      // A torn or foreign marker still proves an unclean shutdown; keep what we can.
      return { daemonName: 'unknown', agentPid: 0, startedAt: 'unknown' };
    }
  }

  async write(content: RunningMarkerContent): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(content) + '\n');
  }

  async remove(): Promise<void> {
    await fs.rm(this.path, { force: true });
  }
}
