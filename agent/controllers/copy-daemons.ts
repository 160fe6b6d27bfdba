/**
 * The daemon side of the copies controller: one qemu-storage-daemon per served copy, started
 * on the copy's run directory and listening for its runtime's events, its NBD server on the
 * copy's port (a port some other program holds is replaced), and stopped again.
 *
 * Runs inside the copy's queue; the runtime's events arrive outside it and go to the
 * {@link CopyDaemonHooks} of the controller, only while the daemon is still the entry's.
 */
import * as path from 'node:path';
import { ReplicaStaleEvent, ReplicaStatusChange } from '../copies/mirror-job';
import { ServedCopy } from '../copies/served-copy';
import { VolumeCopy } from '../copies/volume-copy';
import { QmpCommandError } from '../errors';
import { DaemonExit, daemonFilesOf } from '../qsd/storage-daemon';
import { PskKey } from '../tls/psk-keys-file';
import { AgentLogger } from '../util/logger';
import { CopyEntry, dropReplica } from './copy-entry';
import { PortAllocator } from './port-allocator';

/** New ports tried when the copy's port turns out to be taken by another program. */
export const NBD_BIND_ATTEMPTS = 5;
/** `max-connections` of each copy's NBD server: a client and its reconnects, or the primary's mirror. */
export const NBD_MAX_CONNECTIONS = 16;

export interface CopyDaemonsOptions {
  dataDir: string;
  address: string;
  netns?: string;
  qsdBinary?: string;
  ports: PortAllocator;
  logger: AgentLogger;
}

/** What the controller does when a served copy's daemon or runtime reports something. */
export interface CopyDaemonHooks {
  replicaStale(entry: CopyEntry, event: ReplicaStaleEvent): void;
  replicaStatus(entry: CopyEntry, change: ReplicaStatusChange): void;
  /** QEMU deleted the export without being asked. */
  exportLost(entry: CopyEntry): void;
  /** The daemon died (the entry already forgot it). */
  daemonExited(entry: CopyEntry): void;
  /** A daemon started (its PID belongs in the state file). */
  daemonStarted(entry: CopyEntry): void;
}

export class CopyDaemons {
  constructor(
    private readonly options: CopyDaemonsOptions,
    private readonly hooks: CopyDaemonHooks,
  ) {}

  /** Starts the copy's daemon and opens its graph; the entry forgets its applied keys and replica. */
  async start(entry: CopyEntry): Promise<void> {
    const served = await ServedCopy.start(entry.copy, {
      runDir: this.runDirOf(entry.copyId),
      ...(this.options.netns ? { netns: this.options.netns } : {}),
      ...(this.options.qsdBinary ? { qsdBinary: this.options.qsdBinary } : {}),
      logger: this.options.logger,
    });
    entry.served = served;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    served.on('daemon-exited', (exit: DaemonExit) => this.onDaemonExited(entry, served, exit));
    served.runtime.on('replica-stale', (event: ReplicaStaleEvent) => {
      if (entry.served !== served) return;
      entry.replica.staleReason = event.reason;
      this.hooks.replicaStale(entry, event);
    });
    served.runtime.on('replica-status', (change: ReplicaStatusChange) => {
      if (entry.served !== served) return;
      this.hooks.replicaStatus(entry, change);
    });
    served.runtime.on('export-deleted', (event: { expected: boolean }) => {
      if (event.expected || entry.served !== served) return;
      entry.logger.warn('export deleted without being asked; adding it again');
      this.hooks.exportLost(entry);
    });
    entry.logger.info('daemon serving the copy', { pid: served.daemon.pid, previousShutdownUnclean: served.startReport.previousShutdownUnclean });
    this.hooks.daemonStarted(entry);
  }

  /** Starts the copy's NBD server on its port; a port some other program holds is replaced. */
  async startNbdServer(entry: CopyEntry, keys: PskKey[]): Promise<void> {
    const runtime = (entry.served as ServedCopy).runtime;
    for (let attempt = 1; ; attempt++) {
      const port = await this.portFor(entry);
      try {
        await runtime.startNbdServer({ listen: { type: 'inet', host: this.options.address, port }, clientKeys: keys, maxConnections: NBD_MAX_CONNECTIONS });
        entry.logger.info('NBD server listening', { address: this.options.address, port, identities: keys.map((key) => key.identity) });
        return;
      } catch (error) {
        if (!(error instanceof QmpCommandError) || !/address already in use/i.test(error.desc) || attempt >= NBD_BIND_ATTEMPTS) throw error;
        entry.logger.warn('NBD port taken by another program; choosing another', { port, attempt });
        this.options.ports.markForeign(port);
        await entry.copy.updateMetadata({ nbdPort: this.options.ports.allocate(entry.copyId) });
      }
    }
  }

  /** Quits the copy's daemon, if one runs. */
  async stop(entry: CopyEntry): Promise<void> {
    const served = entry.served;
    if (!served) return;
    entry.served = undefined;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    await served.stop();
  }

  runDirOf(copyId: string): string {
    return path.join(this.options.dataDir, 'run', copyId);
  }

  pidFileOf(copy: VolumeCopy): string {
    return daemonFilesOf(this.runDirOf(copy.copyId), copy.metadata.nodeNames.root).pidfilePath;
  }

  /** The copy's port: the one in its metadata, else a new one, recorded before use. */
  async portFor(entry: CopyEntry): Promise<number> {
    const recorded = entry.copy.metadata.nbdPort;
    if (recorded !== undefined) return recorded;
    const port = this.options.ports.allocate(entry.copyId);
    await entry.copy.updateMetadata({ nbdPort: port });
    return port;
  }

  private onDaemonExited(entry: CopyEntry, served: ServedCopy, exit: DaemonExit): void {
    if (entry.served !== served) return;
    served.runtime.detach();
    entry.served = undefined;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    entry.daemonExit = exit;
    entry.logger.error('the copy\'s daemon died; the copy is not served until a command says so', { code: exit.code, signal: exit.signal });
    this.hooks.daemonExited(entry);
  }
}
