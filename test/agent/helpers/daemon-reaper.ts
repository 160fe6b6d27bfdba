/**
 * Keeps every qemu-storage-daemon a test started and stops each one by its PID afterwards:
 * a clean `quit` through its StorageDaemon, else SIGKILL of that PID.
 */
import { StorageDaemon } from '../../../agent/qsd/storage-daemon';
import { DaemonStatus } from '../../../agent/qsd/daemon-status';

export class DaemonReaper {
  private readonly daemons = new Set<StorageDaemon>();

  track<T extends StorageDaemon>(daemon: T): T {
    this.daemons.add(daemon);
    return daemon;
  }

  async stopAll(): Promise<void> {
    for (const daemon of this.daemons) {
      const pid = daemon.pid;
      try {
        if (daemon.status === DaemonStatus.Running || daemon.status === DaemonStatus.Starting) await daemon.stop();
      } finally {
        if (pid !== undefined && isAlive(pid)) {
          process.kill(pid, 'SIGKILL');
          await daemon.waitForExit(5_000);
        }
      }
    }
    this.daemons.clear();
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
