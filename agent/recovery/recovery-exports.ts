/**
 * The admin (recovery) exports of copies held in recovery (docs/recovery.md "Admin read
 * access"): a qemu-storage-daemon of the held copy's own, its graph opened read-only, one NBD
 * export `<volumeId>.recovery` with `writable: false`, on the copy's own port, behind TLS-PSK
 * with a keys file holding only the recovery key (a daemon's keys file is its whole access list,
 * qemu-7.2 §6 and §7). The volume's client keys are not in it, so attached clients stay paused.
 *
 * An export closes when its `expiresAt` passes (the timer asks the owner through `onExpired` so
 * the close runs in the copy's queue), when a command serves or deletes the copy, and at
 * shutdown. A new grant for an open export replaces its key (gnutls reads the file at each
 * handshake, so the old key opens nothing new) and its expiry.
 */
import { ServedCopy } from '../copies/served-copy';
import { VolumeCopy } from '../copies/volume-copy';
import { RecoveryAccessRefusedError } from '../errors';
import { DaemonExit } from '../qsd/storage-daemon';
import { PskKey } from '../tls/psk-keys-file';
import { AgentLogger } from '../util/logger';

/** Connections one admin export takes: the owner's reader and its reconnects. */
export const RECOVERY_EXPORT_MAX_CONNECTIONS = 4;

export interface RecoveryExportsOptions {
  address: string;
  netns?: string;
  qsdBinary?: string;
  /** The run directory of a copy (the same as its serving daemon's: an orphan is found at start). */
  runDirOf: (copyId: string) => string;
  /** Called when an export's time is up; the owner closes it in the copy's queue. */
  onExpired: (copyId: string) => void;
  logger: AgentLogger;
}

export interface RecoveryExportRequest {
  key: PskKey;
  expiresAt: string;
  port: number;
}

interface OpenExport {
  served: ServedCopy;
  timer: NodeJS.Timeout;
  expiresAt: string;
  port: number;
}

export function recoveryExportName(volumeId: string): string {
  return `${volumeId}.recovery`;
}

export class RecoveryExports {
  private readonly exports = new Map<string, OpenExport>();

  constructor(private readonly options: RecoveryExportsOptions) {}

  isOpen(copyId: string): boolean {
    return this.exports.has(copyId);
  }

  /** Opens (or re-keys) the copy's admin export; call inside the copy's queue with the copy held. */
  async open(copy: VolumeCopy, request: RecoveryExportRequest): Promise<{ port: number; exportName: string }> {
    const remainingMs = Date.parse(request.expiresAt) - Date.now();
    if (!(remainingMs > 0)) throw new RecoveryAccessRefusedError(copy.copyId, `the access expired at ${request.expiresAt}`);
    const logger = this.options.logger.child({ volumeId: copy.volumeId, copyId: copy.copyId });
    const exportName = recoveryExportName(copy.volumeId);
    const existing = this.exports.get(copy.copyId);
    if (existing) {
      await existing.served.runtime.replaceClientKeys([request.key]);
      clearTimeout(existing.timer);
      existing.timer = this.expireIn(copy.copyId, remainingMs);
      existing.expiresAt = request.expiresAt;
      logger.info('admin export re-keyed', { identity: request.key.identity, expiresAt: request.expiresAt });
      return { port: existing.port, exportName };
    }
    const served = await ServedCopy.start(copy, {
      runDir: this.options.runDirOf(copy.copyId),
      readOnly: true,
      ...(this.options.netns ? { netns: this.options.netns } : {}),
      ...(this.options.qsdBinary ? { qsdBinary: this.options.qsdBinary } : {}),
      logger,
    });
    try {
      await served.runtime.startNbdServer({
        listen: { type: 'inet', host: this.options.address, port: request.port },
        clientKeys: [request.key],
        maxConnections: RECOVERY_EXPORT_MAX_CONNECTIONS,
      });
      await served.runtime.addExport({ writable: false, name: exportName });
    } catch (error) {
      await served.stop();
      throw error;
    }
    const open: OpenExport = { served, timer: this.expireIn(copy.copyId, remainingMs), expiresAt: request.expiresAt, port: request.port };
    served.on('daemon-exited', (exit: DaemonExit) => {
      if (this.exports.get(copy.copyId) !== open) return;
      clearTimeout(open.timer);
      this.exports.delete(copy.copyId);
      logger.error('the admin export\'s daemon died; it stays closed until a new grant', { code: exit.code, signal: exit.signal });
    });
    this.exports.set(copy.copyId, open);
    logger.info('admin export open, read-only', { address: this.options.address, port: request.port, exportName, identity: request.key.identity, expiresAt: request.expiresAt });
    return { port: request.port, exportName };
  }

  /** Closes the copy's admin export, if one is open (its daemon quits; the copy stays held and locked). */
  async close(copyId: string, why: string): Promise<void> {
    const open = this.exports.get(copyId);
    if (!open) return;
    this.exports.delete(copyId);
    clearTimeout(open.timer);
    await open.served.stop();
    this.options.logger.info('admin export closed', { copyId, why });
  }

  /** Closes every admin export (agent shutdown). */
  async closeAll(why: string): Promise<void> {
    await Promise.all([...this.exports.keys()].map((copyId) => this.close(copyId, why)));
  }

  private expireIn(copyId: string, ms: number): NodeJS.Timeout {
    // setTimeout holds at most 2^31-1 ms; an access lives 15 minutes.
    const timer = setTimeout(() => this.options.onExpired(copyId), Math.min(ms, 2 ** 31 - 1));
    timer.unref();
    return timer;
  }
}
