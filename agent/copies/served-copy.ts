/**
 * Composition of one copy with its own qemu-storage-daemon (one daemon per copy, see
 * storage-daemon.ts): starts the daemon on the copy's run directory, opens the copy's graph,
 * and stops both. The command loop builds on this; each piece stays usable on its own.
 *
 * Events: `'daemon-exited'` ({@link DaemonExit}) when the daemon ends without being asked.
 */
import { EventEmitter } from 'node:events';
import { StorageDaemon, DaemonExit, DaemonStartReport, DaemonStopReport } from '../qsd/storage-daemon';
import { AgentLogger, silentLogger } from '../util/logger';
import { CopyRuntime } from './copy-runtime';
import { VolumeCopy } from './volume-copy';

export interface ServeCopyOptions {
  /** @default the copy's own `run/` folder (the QMP socket path must stay under 108 bytes) */
  runDir?: string;
  /** @default 'qemu-storage-daemon' */
  qsdBinary?: string;
  /** @default 10000 */
  qmpTimeoutMs?: number;
  /** Run the daemon in this named network namespace (`ip netns exec`). @default the agent's own */
  netns?: string;
  /** Open the graph read-only (a fenced copy after a restart). @default false */
  readOnly?: boolean;
  /** @default silentLogger */
  logger?: AgentLogger;
}

export class ServedCopy extends EventEmitter {
  private constructor(
    readonly copy: VolumeCopy,
    readonly daemon: StorageDaemon,
    readonly runtime: CopyRuntime,
    readonly startReport: DaemonStartReport,
  ) {
    super();
    daemon.on('exited', (exit: DaemonExit) => {
      if (!exit.expected) this.emit('daemon-exited', exit);
    });
  }

  /** Starts the copy's daemon and opens the copy; stops the daemon again if opening fails. */
  static async start(copy: VolumeCopy, options: ServeCopyOptions = {}): Promise<ServedCopy> {
    copy.assertHeld();
    const logger = (options.logger ?? silentLogger).child({ volumeId: copy.volumeId, copyId: copy.copyId });
    const netnsPrefix = options.netns ? ['ip', 'netns', 'exec', options.netns] : undefined;
    const daemon = new StorageDaemon({
      name: copy.metadata.nodeNames.root,
      runDir: options.runDir ?? copy.runDir,
      ...(options.qsdBinary ? { binary: options.qsdBinary } : {}),
      ...(netnsPrefix ? { launchPrefix: netnsPrefix } : {}),
      logger,
    });
    const startReport = await daemon.start();
    // The mirror-target probe runs where the daemon runs, so it sees the daemon's routes.
    const runtime = new CopyRuntime(copy, daemon.qmp, { qmpTimeoutMs: options.qmpTimeoutMs, logger, ...(netnsPrefix ? { probePrefix: netnsPrefix } : {}) });
    try {
      await runtime.open({ readOnly: options.readOnly ?? false });
    } catch (error) {
      runtime.detach();
      await daemon.stop();
      throw error;
    }
    return new ServedCopy(copy, daemon, runtime, startReport);
  }

  /** Quits the daemon (clients are cut off); the copy stays locked until `copy.release()`. */
  async stop(): Promise<DaemonStopReport> {
    this.runtime.detach();
    return this.daemon.stop();
  }
}
