/**
 * A volume copy served by its own qemu-storage-daemon: block graph, IOPS limit, NBD server
 * with TLS-PSK, export, write-blocking mirror to a peer, replica health, and fencing.
 *
 * Graph (names from the copy's metadata, see node-names.ts):
 *
 *     export ─► [mirror filter, while a job runs] ─► root (throttle, group tg-…) ─► format (raw) ─► file (O_DIRECT, aio=native)
 *                         └─► peer (nbd client, TLS-PSK) ─► the mirror copy's export on another host
 *
 * Rules from the qemu-storage-daemon trial that this class enforces:
 * - mirrors always run with `filter-node-name` and `auto-dismiss: false`; an export added while
 *   a job runs goes on the filter node, never on the root (else writes are not synchronous, §0.3);
 * - limits are always sent as the complete struct (qom-set merges, §3);
 * - `max-connections` is always set (the 101st client hangs otherwise, §9.5);
 * - every QMP call has a timeout; NBD peers are probed with `nbdinfo` before `blockdev-add`,
 *   which would otherwise block the monitor against a silent peer (§9.5);
 * - replica health comes only from job events (§9.2): `BLOCK_JOB_ERROR` and
 *   `BLOCK_JOB_COMPLETED{error}` make the replica `stale` ('replica-stale' event). A
 *   write-blocking mirror never fails a client write, so staleness is silent otherwise (§0.4).
 *
 * Resync (`resyncReplica`, trial §9.3): every mirror starts with a fresh non-persistent dirty
 * bitmap (`bp-resync`, 64 KiB granularity) on the format node, added *before* the job, so once
 * the job is READY the bitmap covers every write the replica could miss, including writes made
 * between the target's failure and its detection. When the target is back, an incremental
 * resync copies the bitmap with `blockdev-backup sync=bitmap` passes while clients write, cuts
 * clients off (export removed) for a last small pass, and starts a `sync: none` mirror. The
 * bitmap is not rotated: it grows with every region written since the mirror started, so an
 * incremental resync copies that set (still far less than the volume for most workloads). A
 * failure before READY, or a restarted primary daemon (bitmaps of raw files live in memory
 * only), needs a full resync (`sync: full`, clients never cut off).
 *
 * Events:
 * - `'replica-status'` {@link ReplicaStatusChange} on every replica transition;
 * - `'replica-stale'` {@link ReplicaStaleEvent} when the mirror stops being synchronous;
 * - `'export-deleted'` `{ exportId, expected }` when QEMU reports the export gone.
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import {
  CopyRuntimeStateError,
  MirrorSyncFailedError,
  MirrorTargetSizeMismatchError,
  MirrorTargetUnreachableError,
  QmpCommandError,
} from '../errors';
import { NbdAddress, describeNbdAddress, toNbdsUri, toQmpLegacySocketAddress, toQmpSocketAddress } from '../net/nbd-address';
import { QmpClient, QmpEvent } from '../qmp/qmp-client';
import { PSK_KEYS_FILE_NAME, PskKey, writePskKeysFile } from '../tls/psk-keys-file';
import { AgentLogger, silentLogger } from '../util/logger';
import { runCommand } from '../util/run-command';
import { CopyNodeNames } from './node-names';
import { ReplicaStatus, transitionReplica } from './replica-status';
import { ThrottleLimits, ThrottlePolicy, buildThrottleLimits } from './throttle-limits';
import { VolumeCopy, assertIops } from './volume-copy';

export interface CopyRuntimeOptions {
  /** @default 10000 - timeout of each QMP command. */
  qmpTimeoutMs?: number;
  /** @default 'nbdinfo' - used to probe a mirror target before connecting QEMU to it. */
  nbdinfoBinary?: string;
  /**
   * A command the probe runs through, so it reaches the target from where the daemon runs,
   * e.g. `['ip', 'netns', 'exec', 'storage']` for a daemon in that network namespace.
   * @default none - the probe runs in the agent's own namespace
   */
  probePrefix?: readonly string[];
  /** @default silentLogger */
  logger?: AgentLogger;
}

export interface NbdServerConfig {
  listen: NbdAddress;
  /** The server's whole access list: the volume's client keys (and the replication key on a mirror). */
  clientKeys: readonly PskKey[];
  /** Set explicitly: QEMU's default of 100 makes the 101st client hang, not fail. 0 = unlimited. */
  maxConnections: number;
}

export interface MirrorTarget {
  address: NbdAddress;
  /** The peer's export name (the volume id). */
  exportName: string;
  /** The key this daemon presents to the peer's NBD server. */
  key: PskKey;
}

export interface MirrorOptions {
  /** @default 'full' - 'none' only when source and target are known identical (cutover, §1.3). */
  sync?: 'full' | 'none';
  /**
   * How long the NBD client holds client writes while the mirror is unreachable. It is the only
   * hold QEMU 7.2 has: a held write is neither acknowledged nor failed until the agent, with the
   * control plane's consent, releases it (`abandonMirror`) or until this delay ends, after which
   * writes would be acknowledged on this copy alone. So it must outlast every fencing step,
   * including a frozen agent's (the lease guard ends the daemon long before).
   * @default {@link MIRROR_HOLD_SECONDS}
   */
  reconnectDelaySeconds?: number;
  /** @default 5 - connection retries of the NBD client when the node is added. */
  openTimeoutSeconds?: number;
  /** @default 120000 - time allowed to reach BLOCK_JOB_READY. */
  readyTimeoutMs?: number;
  /** @default true - check reachability and size with nbdinfo before `blockdev-add`. */
  probe?: boolean;
  /** @default 5000 */
  probeTimeoutMs?: number;
  /** Bulk-copy speed cap; the copy's reads also count against its throttle group. @default unlimited */
  speedBytesPerSecond?: number;
  /** Copy buffer (resident memory per job). @default QEMU's 16 MiB */
  bufSizeBytes?: number;
}

export interface ReplicaStatusChange {
  from: ReplicaStatus;
  to: ReplicaStatus;
  reason: string;
}

export interface ReplicaStaleEvent {
  reason: string;
  /** The QMP event that revealed it. */
  event: string;
  jobId: string;
  /** True when the replica never reached READY in this job: only a full resync helps. */
  beforeReady: boolean;
  at: Date;
}

export interface ResyncOptions {
  /** @default 'auto' - incremental when a valid resync bitmap exists, else full. */
  mode?: 'auto' | 'incremental' | 'full';
  /** @default 3 - backup passes while clients keep writing, before the final pass. */
  maxPasses?: number;
  /** @default 64 MiB - dirty bytes small enough for the final pass with clients cut off. */
  finalPassMaxBytes?: number;
}

export interface ResyncPass {
  /** Bytes marked dirty when the pass started (64 KiB granularity). */
  dirtyBytes: number;
  durationMs: number;
  /** True for the final pass, run while the export was removed. */
  clientsCutOff: boolean;
}

export interface ResyncReport {
  mode: 'incremental' | 'full';
  /** Why a full resync was done. */
  fullReason?: string;
  passes: ResyncPass[];
  /** How long the export was gone (incremental only). */
  clientPauseMs: number;
  durationMs: number;
}

export interface ObservedCopyState {
  nodeNames: string[];
  rootReadOnly: boolean | undefined;
  export: { id: string; nodeName: string; shuttingDown: boolean } | undefined;
  job: { id: string; status: string; error?: string } | undefined;
  replica: ReplicaStatus;
}

interface QueryJobsEntry {
  id: string;
  type: string;
  status: string;
  error?: string;
  'current-progress'?: number;
  'total-progress'?: number;
}

interface QueryNamedNode {
  'node-name': string;
  ro: boolean;
}

const DEFAULT_QMP_TIMEOUT_MS = 10_000;
/**
 * See {@link MirrorOptions.reconnectDelaySeconds}. It must outlast detection + the consent
 * deadline (after which clients are cut off, so a write released later is never acknowledged)
 * and the lease plus the guard's reaction (a frozen agent's daemon is killed first); see
 * docs/replication-safety.md. It is also the longest QEMU may block in `blockdev-del` of a peer
 * whose broken connection nobody noticed (its closing flush waits for a reconnect), so it is
 * not made longer than needed.
 */
export const MIRROR_HOLD_SECONDS = 30;
/** `blockdev-del` of the peer may wait for the hold to end (see above). */
const PEER_DELETE_TIMEOUT_MS = (MIRROR_HOLD_SECONDS + 15) * 1_000;
const DEFAULT_READY_TIMEOUT_MS = 120_000;
const JOB_END_TIMEOUT_MS = 60_000;
const EXPORT_DELETE_TIMEOUT_MS = 30_000;
/** Non-persistent (raw files cannot keep bitmaps, §5.3), so it is lost with the daemon. */
const RESYNC_BITMAP = 'bp-resync';
const RESYNC_GRANULARITY_BYTES = 65_536;
/** Passes while clients write; each pass only copies what the previous one saw written. */
const DEFAULT_RESYNC_MAX_PASSES = 3;
const DEFAULT_FINAL_PASS_MAX_BYTES = 64 * 1024 * 1024;

export class CopyRuntime extends EventEmitter {
  private readonly names: CopyNodeNames;
  private readonly qmpTimeoutMs: number;
  private readonly nbdinfo: string;
  private readonly probePrefix: readonly string[];
  private readonly logger: AgentLogger;
  private graphOpen = false;
  private readOnly = false;
  private nbdServerRunning = false;
  private exportWritable: boolean | undefined;
  private replica: ReplicaStatus = ReplicaStatus.Detached;
  private replicaReachedReady = false;
  private exportRemovalRequested = false;
  private exportCutPending = false;
  private abandoning = false;
  private peerDetaching: Promise<void> | undefined;
  private exportName: string | undefined;
  private peerAttached = false;
  private clientTlsAdded = false;
  private lastTarget: { target: MirrorTarget; options: MirrorOptions } | undefined;
  /** The resync bitmap exists and was added before the current/last mirror job started. */
  private resyncBitmapArmed = false;
  /** The resync bitmap covers every write since the replica was last known in sync. */
  private resyncBitmapValid = false;
  private readonly onQmpEvent = (event: QmpEvent): void => this.handleEvent(event);

  constructor(
    readonly copy: VolumeCopy,
    private readonly qmp: QmpClient,
    options: CopyRuntimeOptions = {},
  ) {
    super();
    this.names = copy.metadata.nodeNames;
    this.qmpTimeoutMs = options.qmpTimeoutMs ?? DEFAULT_QMP_TIMEOUT_MS;
    this.nbdinfo = options.nbdinfoBinary ?? 'nbdinfo';
    this.probePrefix = options.probePrefix ?? [];
    this.logger = (options.logger ?? silentLogger).child({ volumeId: copy.volumeId, copyId: copy.copyId });
    qmp.on('event', this.onQmpEvent);
  }

  get replicaStatus(): ReplicaStatus {
    return this.replica;
  }

  get isReadOnly(): boolean {
    return this.readOnly;
  }

  /** True when `resyncReplica()` can copy only changed regions (see the class comment). */
  get canResyncIncrementally(): boolean {
    return this.replica === ReplicaStatus.Stale && this.resyncBitmapValid;
  }

  get hasExport(): boolean {
    return this.exportWritable !== undefined;
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

  /** Stops listening to the daemon's events (call when the daemon is gone or handed over). */
  detach(): void {
    this.qmp.off('event', this.onQmpEvent);
  }

  // ─── graph ──────────────────────────────────────────────────────────────────────────────

  /** Adds the throttle group and the file → raw → throttle nodes. */
  async open(options: { readOnly?: boolean } = {}): Promise<void> {
    this.copy.assertHeld();
    if (this.graphOpen) throw new CopyRuntimeStateError('open the copy', 'it is open', 'it is closed');
    const readOnly = options.readOnly ?? false;
    await this.exec('object-add', {
      'qom-type': 'throttle-group',
      id: this.names.throttleGroup,
      limits: buildThrottleLimits({ iopsTotal: this.copy.metadata.iops }),
    });
    for (const nodeOptions of this.graphNodeOptions(readOnly)) {
      await this.exec('blockdev-add', nodeOptions);
    }
    this.graphOpen = true;
    this.readOnly = readOnly;
    this.logger.info('copy graph open', { readOnly, iops: this.copy.metadata.iops });
  }

  // ─── IOPS limit ─────────────────────────────────────────────────────────────────────────

  /** Sets the committed IOPS (0 = unlimited) and records it in the metadata. */
  async setIopsLimit(iops: number): Promise<void> {
    assertIops(iops);
    await this.setThrottlePolicy({ iopsTotal: iops });
  }

  /** Sends the COMPLETE limits struct for `policy` (qom-set merges otherwise). */
  async setThrottlePolicy(policy: ThrottlePolicy): Promise<void> {
    this.assertOpen('change the IOPS limit');
    const limits = buildThrottleLimits(policy);
    await this.exec('qom-set', { path: `/objects/${this.names.throttleGroup}`, property: 'limits', value: limits });
    await this.copy.updateMetadata({ iops: policy.iopsTotal });
    this.logger.info('throttle limits set', { policy });
  }

  async readThrottleLimits(): Promise<ThrottleLimits> {
    return this.exec<ThrottleLimits>('qom-get', { path: `/objects/${this.names.throttleGroup}`, property: 'limits' });
  }

  // ─── NBD server and export ──────────────────────────────────────────────────────────────

  /** Writes the server's keys file and starts the daemon's single NBD server, TLS-PSK only. */
  async startNbdServer(config: NbdServerConfig): Promise<void> {
    if (this.nbdServerRunning) throw new CopyRuntimeStateError('start the NBD server', 'it is running', 'it is stopped');
    if (!Number.isInteger(config.maxConnections) || config.maxConnections < 0) {
      throw new CopyRuntimeStateError('start the NBD server', `maxConnections is ${config.maxConnections}`, 'maxConnections is an integer >= 0');
    }
    await writePskKeysFile(this.copy.tlsServerDir, config.clientKeys);
    await this.exec('object-add', { 'qom-type': 'tls-creds-psk', id: this.names.serverTls, endpoint: 'server', dir: this.copy.tlsServerDir });
    try {
      await this.exec('nbd-server-start', {
        addr: toQmpLegacySocketAddress(config.listen),
        'tls-creds': this.names.serverTls,
        'max-connections': config.maxConnections,
      });
    } catch (error) {
      await this.execQuietly('object-del', { id: this.names.serverTls });
      throw error;
    }
    this.nbdServerRunning = true;
    this.logger.info('NBD server started', { listen: config.listen, identities: config.clientKeys.map((key) => key.identity) });
  }

  /** Replaces the server's access list; gnutls reads the file at each handshake, existing sessions stay. */
  async replaceClientKeys(clientKeys: readonly PskKey[]): Promise<void> {
    await writePskKeysFile(this.copy.tlsServerDir, clientKeys);
  }

  /** Stops the NBD server; QEMU deletes every export with it (§9.1). */
  async stopNbdServer(): Promise<void> {
    if (!this.nbdServerRunning) return;
    await this.exec('nbd-server-stop');
    this.nbdServerRunning = false;
    this.exportWritable = undefined;
    await this.execQuietly('object-del', { id: this.names.serverTls });
  }

  /**
   * Exports the copy (under `name`, default the volume id). While a mirror job runs the export
   * goes on the job's filter node, so its writes are synchronous. `writethrough` flushes the
   * copy after every write before answering it: a mirror's export uses it, so a write the
   * primary acknowledges is on the mirror's stable storage even though QEMU's mirror filter does
   * not forward the client's FLUSH to its target (invariant 3, docs/replication-safety.md).
   */
  async addExport(options: { writable?: boolean; name?: string; writethrough?: boolean } = {}): Promise<void> {
    this.assertOpen('export the copy');
    const writable = options.writable ?? true;
    if (!this.nbdServerRunning) throw new CopyRuntimeStateError('export the copy', 'the NBD server is stopped', 'the NBD server runs');
    if (this.exportWritable !== undefined) throw new CopyRuntimeStateError('export the copy', 'an export exists', 'no export exists');
    if (writable && this.readOnly) throw new CopyRuntimeStateError('export the copy writable', 'the copy is fenced read-only', 'the copy is writable');
    const nodeName = (await this.nodeExists(this.names.mirrorFilter)) ? this.names.mirrorFilter : this.names.root;
    await this.exec('block-export-add', {
      type: 'nbd',
      id: this.names.export,
      'node-name': nodeName,
      name: options.name ?? this.copy.volumeId,
      writable,
      writethrough: options.writethrough ?? false,
    });
    this.exportWritable = writable;
    this.exportName = options.name ?? this.copy.volumeId;
    this.logger.info('export added', { exportId: this.names.export, exportName: this.exportName, nodeName, writable, writethrough: options.writethrough ?? false });
  }

  /** Deletes the export (`mode: hard`: clients are cut off after in-flight requests drain). */
  async removeExport(): Promise<void> {
    if (this.exportWritable === undefined) return;
    this.exportRemovalRequested = true;
    try {
      await this.qmp.executeAndWaitForEvent(
        'block-export-del',
        { id: this.names.export, mode: 'hard' },
        (event) => event.event === 'BLOCK_EXPORT_DELETED' && event.data.id === this.names.export,
        { timeoutMs: this.qmpTimeoutMs, eventTimeoutMs: EXPORT_DELETE_TIMEOUT_MS, description: `BLOCK_EXPORT_DELETED(${this.names.export})` },
      );
    } finally {
      this.exportRemovalRequested = false;
    }
    this.exportWritable = undefined;
    this.logger.info('export removed', { exportId: this.names.export });
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
      await this.exec('block-export-del', { id: this.names.export, mode: 'hard' });
    } catch (error) {
      this.exportCutPending = false;
      throw error;
    }
    this.logger.warn('clients cut off', { exportId: this.names.export });
  }

  /** Waits until a cut-off export is gone (BLOCK_EXPORT_DELETED), so that it can be added again. */
  async waitForExportGone(timeoutMs = EXPORT_DELETE_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.exportWritable !== undefined) {
      const exports = await this.exec<Array<{ id: string }>>('query-block-exports');
      if (!exports.some((entry) => entry.id === this.names.export)) {
        this.exportWritable = undefined;
        this.exportCutPending = false;
        return;
      }
      if (Date.now() > deadline) throw new CopyRuntimeStateError('add the export again', 'the old export still drains', 'the old export is gone');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  // ─── replication ────────────────────────────────────────────────────────────────────────

  /**
   * Starts a write-blocking mirror to `target` and resolves once the replica is in sync
   * (BLOCK_JOB_READY). Throws {@link MirrorSyncFailedError} if the job fails first (the replica
   * is then `stale`), {@link MirrorTargetUnreachableError} / {@link MirrorTargetSizeMismatchError}
   * if the target is not usable (the replica status is unchanged).
   */
  async startMirror(target: MirrorTarget, options: MirrorOptions = {}): Promise<void> {
    this.assertOpen('start a mirror');
    if (this.readOnly) throw new CopyRuntimeStateError('start a mirror', 'the copy is fenced read-only', 'the copy is writable');
    if (this.replica !== ReplicaStatus.Detached && this.replica !== ReplicaStatus.Stale) {
      throw new CopyRuntimeStateError('start a mirror', `the replica is ${this.replica}`, 'the replica is detached or stale');
    }
    await this.attachPeer(target, options);
    const sync = options.sync ?? 'full';
    this.setReplica(ReplicaStatus.Syncing, `mirror to ${describeNbdAddress(target.address, target.exportName)} started (sync ${sync})`);
    await this.resetResyncBitmap();
    await this.launchMirror(sync, options);
  }

  /**
   * Brings a `stale` replica back in sync with the last mirror target, once it is reachable.
   *
   * - `incremental` (chosen by `auto` when possible): copies only the regions written since the
   *   replica was last known in sync, tracked by the resync bitmap that exists from the start
   *   of every mirror (so no write between the target's failure and its detection escapes).
   *   Passes of `blockdev-backup sync=bitmap` run while clients keep writing, until the dirty
   *   set is at most `finalPassMaxBytes` (or `maxPasses` ran); then the export is removed
   *   (clients are cut off and must reconnect, as in a cutover), a last pass copies the rest,
   *   a `sync: none` write-blocking mirror starts (READY at once) and the export comes back on
   *   its filter node (trial §9.3). `clientPauseMs` says how long clients were cut off.
   * - `full`: a new `sync: full` mirror; clients are never cut off. Needed when the replica
   *   never reached READY in the failed job, or when this runtime has no valid bitmap (e.g.
   *   after a restart of the primary's daemon: bitmaps of raw files are in memory only).
   */
  async resyncReplica(options: ResyncOptions = {}): Promise<ResyncReport> {
    if (!this.lastTarget) throw new CopyRuntimeStateError('resync the replica', 'no mirror was ever started', 'a mirror target is known');
    if (this.replica !== ReplicaStatus.Stale) {
      throw new CopyRuntimeStateError('resync the replica', `the replica is ${this.replica}`, 'the replica is stale');
    }
    const { target, options: mirrorOptions } = this.lastTarget;
    const mode = options.mode ?? 'auto';
    const fullReason = !this.resyncBitmapValid
      ? 'no resync bitmap covers the time since the replica was last in sync'
      : mode === 'full'
        ? 'full resync requested'
        : undefined;
    if (fullReason !== undefined) {
      if (mode === 'incremental') {
        throw new CopyRuntimeStateError('resync incrementally', fullReason, 'a resync bitmap is valid');
      }
      const started = Date.now();
      await this.startMirror(target, { ...mirrorOptions, sync: 'full' });
      return { mode: 'full', fullReason, passes: [], clientPauseMs: 0, durationMs: Date.now() - started };
    }
    return this.resyncIncrementally(target, mirrorOptions, options);
  }

  /**
   * Checks, without touching the graph, that the last mirror target answers: the same probe
   * as `startMirror`'s (nbdinfo with the replication key, through `probePrefix`, so from the
   * daemon's network namespace). Throws {@link MirrorTargetUnreachableError} or
   * {@link MirrorTargetSizeMismatchError}.
   */
  async probeLastTarget(timeoutMs = 5_000): Promise<void> {
    if (!this.lastTarget) throw new CopyRuntimeStateError('probe the mirror target', 'no mirror was ever started', 'a mirror target is known');
    await this.probeTarget(this.lastTarget.target, timeoutMs);
  }

  /**
   * The probe the lease guard runs (docs/replication-safety.md): the same NBD handshake with the
   * replication key as `probeLastTarget`, as argv; undefined before any mirror started.
   */
  mirrorProbeCommand(): string[] | undefined {
    const target = this.lastTarget?.target;
    if (!target) return undefined;
    const uri = toNbdsUri(target.address, target.exportName, target.key.identity, path.join(this.copy.tlsClientDir, PSK_KEYS_FILE_NAME));
    return [...this.probePrefix, this.nbdinfo, '--size', uri];
  }

  /**
   * Breaks this daemon's TCP connections to the mirror target (`ss -K` where the daemon runs),
   * so a black-holed connection turns into a reconnect that holds writes and can be cancelled,
   * instead of a request QEMU waits on for as long as TCP retransmits (trial: QMP blocks on it).
   */
  async cutPeerConnections(): Promise<void> {
    const target = this.lastTarget?.target;
    if (!target || target.address.type !== 'inet') return;
    const [file, ...args] = [...this.probePrefix, 'ss', '-K', 'dst', target.address.host, 'dport', '=', `:${target.address.port}`];
    await runCommand(file as string, args, { timeoutMs: 5_000 });
    this.logger.warn('connections to the mirror target cut', { target: describeNbdAddress(target.address, target.exportName) });
  }

  /**
   * Ends a mirror that the control plane has marked out of date (call only after that consent,
   * docs/replication-safety.md): the peer connections are cut, the job is force-cancelled,
   * which releases the writes the NBD client held (they complete on this copy alone), and the
   * peer node goes. The replica ends `detached`: the control plane replaces the mirror.
   */
  async abandonMirror(reason: string): Promise<void> {
    if (this.replica === ReplicaStatus.Detached) {
      await this.detachPeer();
      return;
    }
    if (this.replica !== ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Stopping, `mirror abandoned: ${reason}`);
    this.abandoning = true;
    try {
      await this.cutPeerConnections().catch((error: Error) => this.logger.warn('could not cut the mirror connections', { error: error.message }));
      try {
        await this.exec('block-job-cancel', { device: this.names.mirrorJob, force: true });
      } catch (error) {
        // The job may have ended already (its reconnect delay ran out, or a target error).
        if (!(error instanceof QmpCommandError)) throw error;
      }
      await this.waitForJobGone();
    } finally {
      this.abandoning = false;
    }
    if (this.replica === ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Detached, `mirror abandoned: ${reason}`);
    await this.detachPeer();
    this.logger.warn('mirror abandoned; this copy continues alone', { reason });
  }

  /**
   * Ends replication. An in-sync mirror is soft-cancelled: QEMU does a final sync and does NOT
   * pivot, so the target is a consistent copy at this instant (§9.1). A syncing mirror is
   * force-cancelled. Then the peer node and client credentials are removed.
   */
  async stopMirror(): Promise<void> {
    if (this.replica === ReplicaStatus.Detached) {
      await this.detachPeer();
      return;
    }
    const wasInSync = this.replica === ReplicaStatus.InSync;
    const wasSyncing = this.replica === ReplicaStatus.Syncing;
    if (this.replica !== ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Stopping, 'stop requested');
    if (wasInSync || wasSyncing) {
      try {
        await this.exec('block-job-cancel', { device: this.names.mirrorJob, force: wasSyncing });
      } catch (error) {
        // The job may have ended on its own between our check and the cancel: then it is
        // already concluding, and waitForJobGone below covers it.
        if (!(error instanceof QmpCommandError)) throw error;
        this.logger.warn('block-job-cancel refused', { error: error.message });
      }
    }
    await this.waitForJobGone();
    if (this.replica === ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Detached, 'mirror stopped');
    await this.detachPeer();
  }

  // ─── fencing ────────────────────────────────────────────────────────────────────────────

  /**
   * Fences this copy (before another copy is promoted): removes the export, ends the mirror
   * (a final sync if it is in sync), and reopens file, raw and throttle nodes read-only, so
   * the file descriptor is O_RDONLY and no writable export can be added (§7).
   */
  async fence(): Promise<void> {
    this.assertOpen('fence the copy');
    await this.removeExport();
    await this.stopMirror();
    if (this.readOnly) return;
    await this.exec('blockdev-reopen', { options: this.graphNodeOptions(true).reverse() });
    this.readOnly = true;
    this.logger.warn('copy fenced read-only');
  }

  /** Reopens the graph read-write (after the control plane made this copy primary again). */
  async unfence(): Promise<void> {
    this.assertOpen('unfence the copy');
    if (!this.readOnly) return;
    await this.exec('blockdev-reopen', { options: this.graphNodeOptions(false) });
    this.readOnly = false;
    this.logger.info('copy writable again');
  }

  // ─── observation ────────────────────────────────────────────────────────────────────────

  /** How far the mirror job is (QMP `query-jobs`: bytes done and bytes in all), if one runs. */
  async mirrorProgress(): Promise<{ current: number; total: number } | undefined> {
    const job = (await this.exec<QueryJobsEntry[]>('query-jobs')).find((entry) => entry.id === this.names.mirrorJob);
    if (job?.['current-progress'] === undefined || job['total-progress'] === undefined) return undefined;
    return { current: job['current-progress'], total: job['total-progress'] };
  }

  /** What QEMU reports right now (for reconcile loops and diagnostics). */
  async observe(): Promise<ObservedCopyState> {
    const nodes = await this.exec<QueryNamedNode[]>('query-named-block-nodes', { flat: true });
    const exports = await this.exec<Array<{ id: string; 'node-name': string; 'shutting-down': boolean }>>('query-block-exports');
    const jobs = await this.exec<QueryJobsEntry[]>('query-jobs');
    const exportEntry = exports.find((entry) => entry.id === this.names.export);
    const job = jobs.find((entry) => entry.id === this.names.mirrorJob);
    return {
      nodeNames: nodes.map((node) => node['node-name']),
      rootReadOnly: nodes.find((node) => node['node-name'] === this.names.root)?.ro,
      export: exportEntry ? { id: exportEntry.id, nodeName: exportEntry['node-name'], shuttingDown: exportEntry['shutting-down'] } : undefined,
      job: job ? { id: job.id, status: job.status, ...(job.error ? { error: job.error } : {}) } : undefined,
      replica: this.replica,
    };
  }

  // ─── internals ──────────────────────────────────────────────────────────────────────────

  private handleEvent(event: QmpEvent): void {
    const jobId = this.names.mirrorJob;
    if (event.event === 'BLOCK_EXPORT_DELETED' && event.data.id === this.names.export) {
      const expected = this.exportRemovalRequested || this.exportCutPending;
      this.exportCutPending = false;
      this.exportWritable = undefined;
      this.emit('export-deleted', { exportId: this.names.export, expected });
      return;
    }
    if (!isJobEvent(event, jobId)) return;
    switch (event.event) {
      case 'BLOCK_JOB_READY':
        this.replicaReachedReady = true;
        // The bitmap was added before this job started: from now on it covers every write
        // the replica could miss.
        if (this.resyncBitmapArmed) this.resyncBitmapValid = true;
        if (this.replica === ReplicaStatus.Syncing) this.setReplica(ReplicaStatus.InSync, 'BLOCK_JOB_READY');
        return;
      case 'BLOCK_JOB_ERROR':
        this.markStale(`target ${String(event.data.operation)} error (action ${String(event.data.action)})`, event.event);
        return;
      case 'BLOCK_JOB_COMPLETED':
        if (event.data.error !== undefined) {
          this.markStale(`mirror job failed: ${String(event.data.error)}`, event.event);
        } else if (this.replica === ReplicaStatus.Stopping) {
          this.setReplica(ReplicaStatus.Detached, 'mirror completed after a requested stop');
        } else {
          this.markStale('mirror job ended without being asked to', event.event);
        }
        return;
      case 'BLOCK_JOB_CANCELLED':
        if (this.replica === ReplicaStatus.Stopping) {
          this.setReplica(ReplicaStatus.Detached, 'mirror cancelled after a requested stop');
        } else {
          this.markStale('mirror job was cancelled without being asked to', event.event);
        }
        return;
      case 'JOB_STATUS_CHANGE':
        if (event.data.status === 'concluded') {
          // auto-dismiss is off so the error stays readable in query-jobs until now.
          void this.execQuietly('job-dismiss', { id: jobId });
        }
        return;
      default:
        return;
    }
  }

  /** Connects the peer NBD node (after a probe), replacing an earlier one. */
  private async attachPeer(target: MirrorTarget, options: MirrorOptions): Promise<void> {
    const targetName = describeNbdAddress(target.address, target.exportName);
    await this.waitForJobGone();
    await this.detachPeer();
    await writePskKeysFile(this.copy.tlsClientDir, [target.key]);
    if (options.probe ?? true) await this.probeTarget(target, options.probeTimeoutMs ?? 5_000);
    await this.exec('object-add', {
      'qom-type': 'tls-creds-psk',
      id: this.names.clientTls,
      endpoint: 'client',
      dir: this.copy.tlsClientDir,
      username: target.key.identity,
    });
    this.clientTlsAdded = true;
    try {
      await this.exec('blockdev-add', {
        driver: 'nbd',
        'node-name': this.names.peer,
        server: toQmpSocketAddress(target.address),
        export: target.exportName,
        'tls-creds': this.names.clientTls,
        'reconnect-delay': options.reconnectDelaySeconds ?? MIRROR_HOLD_SECONDS,
        'open-timeout': options.openTimeoutSeconds ?? 5,
      });
    } catch (error) {
      await this.detachPeer();
      throw new MirrorTargetUnreachableError(targetName, (error as Error).message, { cause: error });
    }
    this.peerAttached = true;
    this.lastTarget = { target, options };
  }

  /** Starts the mirror job (replica already `syncing`) and waits for READY. */
  private async launchMirror(sync: 'full' | 'none', options: MirrorOptions): Promise<void> {
    const jobId = this.names.mirrorJob;
    const afterSeq = this.qmp.lastEventSeq;
    this.replicaReachedReady = false;
    try {
      await this.exec('blockdev-mirror', {
        'job-id': jobId,
        device: this.names.root,
        target: this.names.peer,
        sync,
        'copy-mode': 'write-blocking',
        'filter-node-name': this.names.mirrorFilter,
        'auto-dismiss': false,
        'auto-finalize': true,
        'on-target-error': 'report',
        'on-source-error': 'report',
        ...(options.speedBytesPerSecond !== undefined ? { speed: options.speedBytesPerSecond } : {}),
        ...(options.bufSizeBytes !== undefined ? { 'buf-size': options.bufSizeBytes } : {}),
      });
    } catch (error) {
      this.markStale(`blockdev-mirror refused: ${(error as Error).message}`, 'blockdev-mirror');
      throw new MirrorSyncFailedError(jobId, (error as Error).message);
    }
    const outcome = await this.qmp.waitForEvent(
      (event) => isJobEvent(event, jobId) && ['BLOCK_JOB_READY', 'BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'].includes(event.event),
      options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      { afterSeq, description: `BLOCK_JOB_READY(${jobId})` },
    );
    if (outcome.event !== 'BLOCK_JOB_READY') {
      throw new MirrorSyncFailedError(jobId, String(outcome.data.error ?? outcome.event));
    }
    this.logger.info('replica in sync', { sync });
  }

  private async resyncIncrementally(target: MirrorTarget, mirrorOptions: MirrorOptions, options: ResyncOptions): Promise<ResyncReport> {
    const started = Date.now();
    const maxPasses = options.maxPasses ?? DEFAULT_RESYNC_MAX_PASSES;
    const finalPassMaxBytes = options.finalPassMaxBytes ?? DEFAULT_FINAL_PASS_MAX_BYTES;
    await this.attachPeer(target, mirrorOptions);
    this.setReplica(ReplicaStatus.Syncing, 'incremental resync started');
    const passes: ResyncPass[] = [];
    let pauseStarted: number | undefined;
    let exportToRestore: boolean | undefined;
    try {
      // Passes while clients keep writing; each leaves only the writes made during it.
      while (passes.length < maxPasses && (await this.resyncBitmapCount()) > finalPassMaxBytes) {
        passes.push(await this.runBackupPass(false));
      }
      // Final pass with clients cut off, then a mirror from this exact state.
      exportToRestore = this.exportWritable;
      pauseStarted = Date.now();
      await this.removeExport();
      passes.push(await this.runBackupPass(true));
      await this.resetResyncBitmap();
      await this.launchMirror('none', mirrorOptions);
      if (exportToRestore !== undefined) await this.addExport({ writable: exportToRestore });
    } catch (error) {
      this.markStale(`incremental resync failed: ${(error as Error).message}`, 'resync');
      // A failed backup pass merges its frozen bitmap back (bitmap-mode on-success), and after
      // the final pass the fresh bitmap tracks everything since: the bitmap still covers what
      // the replica misses, as long as it exists.
      this.resyncBitmapValid = this.resyncBitmapArmed;
      if (exportToRestore !== undefined && this.exportWritable === undefined) {
        // Clients must get their volume back even though the replica stays stale.
        await this.addExport({ writable: exportToRestore }).catch((restoreError: Error) =>
          this.logger.error('could not restore the export after a failed resync', { error: restoreError.message }),
        );
      }
      throw error;
    }
    const clientPauseMs = pauseStarted === undefined ? 0 : Date.now() - pauseStarted;
    const report: ResyncReport = { mode: 'incremental', passes, clientPauseMs, durationMs: Date.now() - started };
    this.logger.info('incremental resync done', { ...report });
    return report;
  }

  /** One `blockdev-backup sync=bitmap` of the resync bitmap to the peer; the bitmap keeps only writes made during it. */
  private async runBackupPass(final: boolean): Promise<ResyncPass> {
    const jobId = this.names.resyncJob;
    const dirtyBytes = await this.resyncBitmapCount();
    const started = Date.now();
    const { event } = await this.qmp.executeAndWaitForEvent(
      'blockdev-backup',
      {
        'job-id': jobId,
        device: this.names.format,
        target: this.names.peer,
        sync: 'bitmap',
        bitmap: RESYNC_BITMAP,
        'bitmap-mode': 'on-success',
        'on-target-error': 'report',
        'on-source-error': 'report',
      },
      (candidate) => (candidate.event === 'BLOCK_JOB_COMPLETED' || candidate.event === 'BLOCK_JOB_CANCELLED') && candidate.data.device === jobId,
      { timeoutMs: this.qmpTimeoutMs, eventTimeoutMs: DEFAULT_READY_TIMEOUT_MS, description: `BLOCK_JOB_COMPLETED(${jobId})` },
    );
    if (event.event !== 'BLOCK_JOB_COMPLETED' || event.data.error !== undefined) {
      throw new MirrorSyncFailedError(jobId, String(event.data.error ?? event.event));
    }
    const pass: ResyncPass = { dirtyBytes, durationMs: Date.now() - started, clientsCutOff: final };
    this.logger.info('resync pass done', { ...pass });
    return pass;
  }

  /** Replaces the resync bitmap with an empty one; call only while no writes can be missed by it. */
  private async resetResyncBitmap(): Promise<void> {
    this.resyncBitmapValid = false;
    this.resyncBitmapArmed = false;
    await this.execQuietly('block-dirty-bitmap-remove', { node: this.names.format, name: RESYNC_BITMAP });
    await this.exec('block-dirty-bitmap-add', { node: this.names.format, name: RESYNC_BITMAP, granularity: RESYNC_GRANULARITY_BYTES, persistent: false });
    this.resyncBitmapArmed = true;
  }

  private async resyncBitmapCount(): Promise<number> {
    const nodes = await this.exec<Array<QueryNamedNode & { 'dirty-bitmaps'?: Array<{ name?: string; count: number }> }>>('query-named-block-nodes', {
      flat: true,
    });
    const bitmap = nodes.find((node) => node['node-name'] === this.names.format)?.['dirty-bitmaps']?.find((entry) => entry.name === RESYNC_BITMAP);
    if (!bitmap) throw new MirrorSyncFailedError(this.names.resyncJob, `resync bitmap ${RESYNC_BITMAP} is missing`);
    return bitmap.count;
  }

  private markStale(reason: string, qmpEvent: string): void {
    if (this.abandoning) return; // the end of an abandoned mirror's job is expected, not a fault
    if (this.replica !== ReplicaStatus.Syncing && this.replica !== ReplicaStatus.InSync && this.replica !== ReplicaStatus.Stopping) return;
    const stale: ReplicaStaleEvent = {
      reason,
      event: qmpEvent,
      jobId: this.names.mirrorJob,
      beforeReady: !this.replicaReachedReady,
      at: new Date(),
    };
    if (!this.replicaReachedReady) this.resyncBitmapValid = false;
    this.setReplica(ReplicaStatus.Stale, reason);
    this.logger.error('replica stale: writes are acknowledged on this copy only', { ...stale });
    this.emit('replica-stale', stale);
  }

  private setReplica(next: ReplicaStatus, reason: string): void {
    const from = this.replica;
    this.replica = transitionReplica(from, next);
    const change: ReplicaStatusChange = { from, to: next, reason };
    this.logger.info('replica status', { ...change });
    this.emit('replica-status', change);
  }

  /** Waits until the mirror job no longer exists, dismissing it if it concluded. */
  private async waitForJobGone(): Promise<void> {
    const jobId = this.names.mirrorJob;
    const afterSeq = this.qmp.lastEventSeq;
    const job = (await this.exec<QueryJobsEntry[]>('query-jobs')).find((entry) => entry.id === jobId);
    if (!job) return;
    const gone = this.qmp.waitForEvent(
      (event) => event.event === 'JOB_STATUS_CHANGE' && event.data.id === jobId && event.data.status === 'null',
      JOB_END_TIMEOUT_MS,
      { afterSeq, description: `JOB_STATUS_CHANGE(${jobId}, null)` },
    );
    if (job.status === 'concluded') await this.execQuietly('job-dismiss', { id: jobId });
    await gone;
  }

  /** Removes the peer node and its credentials; concurrent callers (a fault's abandon, a new mirror) share one removal. */
  private detachPeer(): Promise<void> {
    this.peerDetaching ??= this.removePeer().finally(() => {
      this.peerDetaching = undefined;
    });
    return this.peerDetaching;
  }

  private async removePeer(): Promise<void> {
    if (this.peerAttached) {
      await this.qmp.execute('blockdev-del', { 'node-name': this.names.peer }, { timeoutMs: PEER_DELETE_TIMEOUT_MS });
      this.peerAttached = false;
    }
    if (this.clientTlsAdded) {
      await this.exec('object-del', { id: this.names.clientTls });
      this.clientTlsAdded = false;
    }
  }

  private async probeTarget(target: MirrorTarget, timeoutMs: number): Promise<void> {
    const targetName = describeNbdAddress(target.address, target.exportName);
    const uri = toNbdsUri(target.address, target.exportName, target.key.identity, path.join(this.copy.tlsClientDir, PSK_KEYS_FILE_NAME));
    let sizeText: string;
    try {
      const [file, ...args] = [...this.probePrefix, this.nbdinfo, '--size', uri];
      sizeText = (await runCommand(file as string, args, { timeoutMs })).stdout.trim();
    } catch (error) {
      throw new MirrorTargetUnreachableError(targetName, (error as Error).message, { cause: error });
    }
    const targetSize = Number(sizeText);
    if (targetSize !== this.copy.metadata.sizeBytes) {
      throw new MirrorTargetSizeMismatchError(targetName, targetSize, this.copy.metadata.sizeBytes);
    }
  }

  private graphNodeOptions(readOnly: boolean): Record<string, unknown>[] {
    return [
      {
        driver: 'file',
        'node-name': this.names.file,
        filename: this.copy.dataPath,
        cache: { direct: true, 'no-flush': false },
        aio: 'native',
        'read-only': readOnly,
      },
      { driver: 'raw', 'node-name': this.names.format, file: this.names.file, 'read-only': readOnly },
      { driver: 'throttle', 'node-name': this.names.root, 'throttle-group': this.names.throttleGroup, file: this.names.format, 'read-only': readOnly },
    ];
  }

  private async nodeExists(nodeName: string): Promise<boolean> {
    const nodes = await this.exec<QueryNamedNode[]>('query-named-block-nodes', { flat: true });
    return nodes.some((node) => node['node-name'] === nodeName);
  }

  private assertOpen(operation: string): void {
    this.copy.assertHeld();
    if (!this.graphOpen) throw new CopyRuntimeStateError(operation, 'the copy is not open', 'the copy is open');
  }

  private exec<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return this.qmp.execute<T>(command, args, { timeoutMs: this.qmpTimeoutMs });
  }

  /** For clean-up steps whose failure changes nothing for the caller; logged, never thrown. */
  private async execQuietly(command: string, args: Record<string, unknown>): Promise<void> {
    try {
      await this.exec(command, args);
    } catch (error) {
      this.logger.debug('clean-up command failed', { command, error: (error as Error).message });
    }
  }
}

function isJobEvent(event: QmpEvent, jobId: string): boolean {
  if (event.event === 'JOB_STATUS_CHANGE') return event.data.id === jobId;
  return event.event.startsWith('BLOCK_JOB_') && event.data.device === jobId;
}
