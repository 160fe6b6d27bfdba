/**
 * The copy's NBD server (TLS-PSK only, `max-connections` always set: the 101st client hangs
 * otherwise, §9.5) and its single export. While a mirror job runs the export goes on the
 * job's filter node, never on the root (else writes are not synchronous, §0.3).
 *
 * Emits `'export-deleted'` `{ exportId, expected }` on the runtime when QEMU reports the
 * export gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventEmitter } from 'node:events';
import { CopyRuntimeStateError } from '../errors';
import { NbdAddress, toQmpLegacySocketAddress } from '../net/nbd-address';
import { QmpEvent } from '../qmp/qmp-client';
import { PskKey, writePskKeysFile } from '../tls/psk-keys-file';
import { CopyGraph } from './copy-graph';
import { CopyQmp } from './copy-qmp';

export interface NbdServerConfig {
  listen: NbdAddress;
  /** The server's whole access list: the volume's client keys (and the replication key on a mirror). */
  clientKeys: readonly PskKey[];
  /** Set explicitly: QEMU's default of 100 makes the 101st client hang, not fail. 0 = unlimited. */
  maxConnections: number;
}

export const EXPORT_DELETE_TIMEOUT_MS = 30_000;

export class CopyExports {
  private nbdServerRunning = false;
  private exportWritable: boolean | undefined;
  private exportWritethrough = false;
  private exportRemovalRequested = false;
  private exportCutPending = false;
  private exportName: string | undefined;
  private listen: NbdAddress | undefined;
  private clientKeys: readonly PskKey[] = [];
  /** The agent's own keys (a snapshot point's reader), kept in the access list beside the clients'. */
  private readonly localKeys = new Map<string, PskKey>();

  constructor(
    private readonly q: CopyQmp,
    private readonly graph: CopyGraph,
    private readonly events: EventEmitter,
  ) {}

  get hasExport(): boolean {
    return this.exportWritable !== undefined;
  }

  /** Whether the current export is writable; undefined without an export. */
  get writable(): boolean | undefined {
    return this.exportWritable;
  }

  /** The NBD name clients use for the current export. */
  get currentExportName(): string | undefined {
    return this.exportWritable === undefined ? undefined : this.exportName;
  }

  /** True between `cutOffClients()` and QEMU's BLOCK_EXPORT_DELETED (held requests drain first). */
  get clientsCutOff(): boolean {
    return this.exportCutPending;
  }

  get nbdServerActive(): boolean {
    return this.nbdServerRunning;
  }

  /** Writes the server's keys file and starts the daemon's single NBD server, TLS-PSK only. */
  async startNbdServer(config: NbdServerConfig): Promise<void> {
    if (this.nbdServerRunning) throw new CopyRuntimeStateError('start the NBD server', 'it is running', 'it is stopped');
    if (!Number.isInteger(config.maxConnections) || config.maxConnections < 0) {
      throw new CopyRuntimeStateError('start the NBD server', `maxConnections is ${config.maxConnections}`, 'maxConnections is an integer >= 0');
    }
    const { names } = this.q;
    this.clientKeys = config.clientKeys;
    await this.writeKeys();
    await this.q.exec('object-add', { 'qom-type': 'tls-creds-psk', id: names.serverTls, endpoint: 'server', dir: this.q.copy.tlsServerDir });
    try {
      await this.q.exec('nbd-server-start', {
        addr: toQmpLegacySocketAddress(config.listen),
        'tls-creds': names.serverTls,
        'max-connections': config.maxConnections,
      });
    } catch (error) {
      await this.q.execQuietly('object-del', { id: names.serverTls });
      throw error;
    }
    this.nbdServerRunning = true;
    this.listen = config.listen;
    this.q.logger.info('NBD server started', { listen: config.listen, identities: config.clientKeys.map((key) => key.identity) });
  }

  /** Replaces the server's access list; gnutls reads the file at each handshake, existing sessions stay. */
  async replaceClientKeys(clientKeys: readonly PskKey[]): Promise<void> {
    this.clientKeys = clientKeys;
    await this.writeKeys();
  }

  /** Where the running server listens (undefined while it is stopped). */
  get listenAddress(): NbdAddress | undefined {
    return this.nbdServerRunning ? this.listen : undefined;
  }

  /** Adds one of the agent's own keys to the access list (it stays through client key replacements until removed). */
  async addLocalKey(key: PskKey): Promise<void> {
    this.localKeys.set(key.identity, key);
    await this.writeKeys();
  }

  async removeLocalKey(identity: string): Promise<void> {
    if (!this.localKeys.delete(identity)) return;
    await this.writeKeys();
  }

  private async writeKeys(): Promise<void> {
    await writePskKeysFile(this.q.copy.tlsServerDir, [...this.clientKeys, ...this.localKeys.values()]);
  }

  /** Stops the NBD server; QEMU deletes every export with it (§9.1). */
  async stopNbdServer(): Promise<void> {
    if (!this.nbdServerRunning) return;
    await this.q.exec('nbd-server-stop');
    this.nbdServerRunning = false;
    this.exportWritable = undefined;
    await this.q.execQuietly('object-del', { id: this.q.names.serverTls });
  }

  /**
   * Exports the copy (under `name`, default the volume id). While a mirror job runs the export
   * goes on the job's filter node, so its writes are synchronous. `writethrough` flushes the
   * copy after every write before answering it: a mirror's export uses it, so a write the
   * primary acknowledges is on the mirror's stable storage even though QEMU's mirror filter does
   * not forward the client's FLUSH to its target (invariant 3, docs/replication-safety.md).
   */
  async addExport(options: { writable?: boolean; name?: string; writethrough?: boolean } = {}): Promise<void> {
    this.graph.assertOpen('export the copy');
    const { names } = this.q;
    const writable = options.writable ?? true;
    if (!this.nbdServerRunning) throw new CopyRuntimeStateError('export the copy', 'the NBD server is stopped', 'the NBD server runs');
    if (this.exportWritable !== undefined) throw new CopyRuntimeStateError('export the copy', 'an export exists', 'no export exists');
    if (writable && this.graph.isReadOnly) throw new CopyRuntimeStateError('export the copy writable', 'the copy is fenced read-only', 'the copy is writable');
    const nodeName = (await this.q.nodeExists(names.mirrorFilter)) ? names.mirrorFilter : names.root;
    await this.q.exec('block-export-add', {
      type: 'nbd',
      id: names.export,
      'node-name': nodeName,
      name: options.name ?? this.q.copy.volumeId,
      writable,
      writethrough: options.writethrough ?? false,
    });
    this.exportWritable = writable;
    this.exportWritethrough = options.writethrough ?? false;
    this.exportName = options.name ?? this.q.copy.volumeId;
    this.q.logger.info('export added', { exportId: names.export, exportName: this.exportName, nodeName, writable, writethrough: options.writethrough ?? false });
  }

  /**
   * Runs `work` with the export removed (its clients cut off; they reconnect), then adds it back
   * as it was, on the mirror filter if `work` inserted one, whether `work` succeeded or not.
   * For a mirror start (docs/replication-safety.md, "The mirror start window"): QEMU 7.2's
   * `blockdev-mirror` lets a client write through its filter before the job is attached, neither
   * copied to the target nor marked dirty; with no client connected, no write can arrive then.
   * Without an export, or with its clients being cut off for good, `work` just runs.
   */
  async withoutClients<T>(work: () => Promise<T>): Promise<T> {
    const writable = this.exportWritable;
    if (writable === undefined || this.exportCutPending) return work();
    const restore = { writable, name: this.exportName, writethrough: this.exportWritethrough };
    await this.removeExport();
    try {
      return await work();
    } finally {
      await this.addExport(restore);
    }
  }

  /** Deletes the export (`mode: hard`: clients are cut off after in-flight requests drain). */
  async removeExport(): Promise<void> {
    if (this.exportWritable === undefined) return;
    const exportId = this.q.names.export;
    this.exportRemovalRequested = true;
    try {
      await this.q.qmp.executeAndWaitForEvent(
        'block-export-del',
        { id: exportId, mode: 'hard' },
        (event) => event.event === 'BLOCK_EXPORT_DELETED' && event.data.id === exportId,
        { timeoutMs: this.q.timeoutMs, eventTimeoutMs: EXPORT_DELETE_TIMEOUT_MS, description: `BLOCK_EXPORT_DELETED(${exportId})` },
      );
    } finally {
      this.exportRemovalRequested = false;
    }
    this.exportWritable = undefined;
    this.q.logger.info('export removed', { exportId });
  }

  /**
   * Cuts every client off now (`block-export-del mode:hard`) without waiting for the export to
   * go: while the mirror holds a write, QEMU deletes the export only once that write drains
   * (after `abandonMirror`). No request is served from this call on; `hasExport` stays true
   * until QEMU reports the export deleted.
   */
  async cutOffClients(): Promise<void> {
    if (this.exportWritable === undefined || this.exportCutPending) return;
    this.exportCutPending = true;
    try {
      await this.q.exec('block-export-del', { id: this.q.names.export, mode: 'hard' });
    } catch (error) {
      this.exportCutPending = false;
      throw error;
    }
    this.q.logger.warn('clients cut off', { exportId: this.q.names.export });
  }

  /** Waits until a cut-off export is gone (BLOCK_EXPORT_DELETED), so that it can be added again. */
  async waitForExportGone(timeoutMs = EXPORT_DELETE_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.exportWritable !== undefined) {
      const exports = await this.q.exec<Array<{ id: string }>>('query-block-exports');
      if (!exports.some((entry) => entry.id === this.q.names.export)) {
        this.exportWritable = undefined;
        this.exportCutPending = false;
        return;
      }
      if (Date.now() > deadline) throw new CopyRuntimeStateError('add the export again', 'the old export still drains', 'the old export is gone');
      await sleep(50);
    }
  }

  /** Hears BLOCK_EXPORT_DELETED for this copy's export; true when the event was this part's. */
  handleEvent(event: QmpEvent): boolean {
    const exportId = this.q.names.export;
    if (event.event !== 'BLOCK_EXPORT_DELETED' || event.data.id !== exportId) return false;
    const expected = this.exportRemovalRequested || this.exportCutPending;
    this.exportCutPending = false;
    this.exportWritable = undefined;
    this.events.emit('export-deleted', { exportId, expected });
    return true;
  }
}
