/**
 * A volume copy served by its own qemu-storage-daemon, as one object: the facade over the
 * parts that each hold one idea of it, all sharing the copy's QMP access (copy-qmp.ts):
 *
 * - graph (copy-graph.ts): file → raw → throttle, reopened read-only when fenced;
 * - throttle (copy-throttle.ts): the IOPS limit, always the complete struct (qom-set merges, §3);
 * - size (copy-size.ts): the size QEMU serves, and growing it (§4);
 * - exports (copy-exports.ts): the NBD server with TLS-PSK and its export;
 * - mirror job (mirror-job.ts) through its peer node (mirror-peer.ts): write-blocking
 *   replication to the mirror copy and the replica status;
 * - resync (replica-resync.ts) from the resync bitmap (resync-bitmap.ts).
 *
 * Graph (names from the copy's metadata, see node-names.ts):
 *
 *     export ─► [mirror filter, while a job runs] ─► root (throttle, group tg-…) ─► format (raw) ─► file (O_DIRECT, aio=native)
 *                         └─► peer (nbd client, TLS-PSK) ─► the mirror copy's export on another host
 *
 * Rules from the qemu-storage-daemon trial that the parts enforce: mirrors always run with
 * `filter-node-name` and `auto-dismiss: false`, and an export added while a job runs goes on
 * the filter node (§0.3); limits are sent as the complete struct (§3); `max-connections` is
 * always set (§9.5); every QMP call has a timeout and NBD peers are probed before
 * `blockdev-add` (§9.5); replica health comes only from job events (§9.2, §0.4).
 *
 * Events:
 * - `'replica-status'` {@link ReplicaStatusChange} on every replica transition;
 * - `'replica-stale'` {@link ReplicaStaleEvent} when the mirror stops being synchronous;
 * - `'export-deleted'` `{ exportId, expected }` when QEMU reports the export gone.
 */
import { EventEmitter } from 'node:events';
import { CopyRuntimeStateError } from '../errors';
import { QmpClient, QmpEvent } from '../qmp/qmp-client';
import { PskKey } from '../tls/psk-keys-file';
import { AgentLogger, silentLogger } from '../util/logger';
import { CopyExports, NbdServerConfig } from './copy-exports';
import { CopyGraph } from './copy-graph';
import { CopyQmp, QueryJobsEntry, QueryNamedNode } from './copy-qmp';
import { CopySize } from './copy-size';
import { CopyThrottle } from './copy-throttle';
import { MirrorJob } from './mirror-job';
import { MirrorOptions, MirrorPeer, MirrorTarget } from './mirror-peer';
import type { NbdAddress } from '../net/nbd-address';
import { ReplicaResync, ResyncOptions, ResyncReport } from './replica-resync';
import { ReplicaStatus } from './replica-status';
import { ResyncBitmap } from './resync-bitmap';
import { ThrottleLimits, ThrottlePolicy } from './throttle-limits';
import { VolumeCopy } from './volume-copy';

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

export interface ObservedCopyState {
  nodeNames: string[];
  rootReadOnly: boolean | undefined;
  export: { id: string; nodeName: string; shuttingDown: boolean } | undefined;
  job: { id: string; status: string; error?: string } | undefined;
  replica: ReplicaStatus;
}

const DEFAULT_QMP_TIMEOUT_MS = 10_000;

export class CopyRuntime extends EventEmitter {
  private readonly q: CopyQmp;
  private readonly graph: CopyGraph;
  private readonly throttle: CopyThrottle;
  private readonly size: CopySize;
  private readonly exports: CopyExports;
  private readonly peer: MirrorPeer;
  private readonly mirror: MirrorJob;
  private readonly resync: ReplicaResync;
  /** `ip netns exec …` or empty: how a client reaches the daemon's network. */
  readonly clientPrefix: readonly string[];
  private readonly onQmpEvent = (event: QmpEvent): void => this.handleEvent(event);

  constructor(
    readonly copy: VolumeCopy,
    private readonly qmp: QmpClient,
    options: CopyRuntimeOptions = {},
  ) {
    super();
    const logger = (options.logger ?? silentLogger).child({ volumeId: copy.volumeId, copyId: copy.copyId });
    this.q = new CopyQmp(copy, qmp, logger, options.qmpTimeoutMs ?? DEFAULT_QMP_TIMEOUT_MS);
    this.graph = new CopyGraph(this.q);
    this.throttle = new CopyThrottle(this.q, this.graph);
    this.size = new CopySize(this.q, this.graph);
    this.exports = new CopyExports(this.q, this.graph, this);
    this.clientPrefix = options.probePrefix ?? [];
    this.peer = new MirrorPeer(this.q, { nbdinfo: options.nbdinfoBinary ?? 'nbdinfo', probePrefix: this.clientPrefix });
    const bitmap = new ResyncBitmap(this.q);
    this.mirror = new MirrorJob(this.q, this.graph, this.exports, this.peer, bitmap, this);
    this.resync = new ReplicaResync(this.q, this.exports, this.mirror, bitmap);
    qmp.on('event', this.onQmpEvent);
  }

  get replicaStatus(): ReplicaStatus {
    return this.mirror.replicaStatus;
  }

  get isReadOnly(): boolean {
    return this.graph.isReadOnly;
  }

  /** True when `resyncReplica()` can copy only changed regions (see replica-resync.ts). */
  get canResyncIncrementally(): boolean {
    return this.resync.canResyncIncrementally;
  }

  get hasExport(): boolean {
    return this.exports.hasExport;
  }

  /** The NBD name clients use for the current export. */
  get currentExportName(): string | undefined {
    return this.exports.currentExportName;
  }

  /** True between `cutOffClients()` and QEMU's BLOCK_EXPORT_DELETED (held requests drain first). */
  get clientsCutOff(): boolean {
    return this.exports.clientsCutOff;
  }

  get nbdServerActive(): boolean {
    return this.exports.nbdServerActive;
  }

  /** Stops listening to the daemon's events (call when the daemon is gone or handed over). */
  detach(): void {
    this.qmp.off('event', this.onQmpEvent);
  }

  // ─── graph (copy-graph.ts) ──────────────────────────────────────────────────────────────

  /** Adds the throttle group and the file → raw → throttle nodes. */
  open(options: { readOnly?: boolean } = {}): Promise<void> {
    return this.graph.open(options);
  }

  // ─── IOPS limit (copy-throttle.ts) ──────────────────────────────────────────────────────

  /** Sets the committed IOPS (0 = unlimited) and records it in the metadata. */
  setIopsLimit(iops: number): Promise<void> {
    return this.throttle.setIopsLimit(iops);
  }

  /** Sends the COMPLETE limits struct for `policy` (qom-set merges otherwise). */
  setThrottlePolicy(policy: ThrottlePolicy): Promise<void> {
    return this.throttle.setThrottlePolicy(policy);
  }

  /** Reconcile's step: the limit for `iops` unless QEMU has it already; see {@link CopyThrottle.ensureIopsLimit}. */
  ensureIopsLimit(iops: number): Promise<boolean> {
    return this.throttle.ensureIopsLimit(iops);
  }

  readThrottleLimits(): Promise<ThrottleLimits> {
    return this.throttle.readThrottleLimits();
  }

  // ─── size (copy-size.ts) ────────────────────────────────────────────────────────────────

  /** The size QEMU serves now. */
  observedSizeBytes(): Promise<number> {
    return this.size.observedBytes();
  }

  /** Grows the copy (no export, no mirror job); see {@link CopySize.grow}. */
  growTo(sizeBytes: number, diskType: string): Promise<void> {
    return this.size.grow(sizeBytes, diskType);
  }

  // ─── NBD server and export (copy-exports.ts) ────────────────────────────────────────────

  /** Writes the server's keys file and starts the daemon's single NBD server, TLS-PSK only. */
  startNbdServer(config: NbdServerConfig): Promise<void> {
    return this.exports.startNbdServer(config);
  }

  /** Replaces the server's access list; gnutls reads the file at each handshake, existing sessions stay. */
  replaceClientKeys(clientKeys: readonly PskKey[]): Promise<void> {
    return this.exports.replaceClientKeys(clientKeys);
  }

  /** Where the NBD server listens (undefined while it is stopped). */
  get nbdListenAddress(): NbdAddress | undefined {
    return this.exports.listenAddress;
  }

  /** Adds one of the agent's own keys to the server's access list; see {@link CopyExports.addLocalKey}. */
  addLocalKey(key: PskKey): Promise<void> {
    return this.exports.addLocalKey(key);
  }

  removeLocalKey(identity: string): Promise<void> {
    return this.exports.removeLocalKey(identity);
  }

  /** Stops the NBD server; QEMU deletes every export with it (§9.1). */
  stopNbdServer(): Promise<void> {
    return this.exports.stopNbdServer();
  }

  /** Exports the copy (under `name`, default the volume id); see {@link CopyExports.addExport}. */
  addExport(options: { writable?: boolean; name?: string; writethrough?: boolean } = {}): Promise<void> {
    return this.exports.addExport(options);
  }

  /** Deletes the export (`mode: hard`: clients are cut off after in-flight requests drain). */
  removeExport(): Promise<void> {
    return this.exports.removeExport();
  }

  /** Cuts every client off now without waiting for the export to go; see {@link CopyExports.cutOffClients}. */
  cutOffClients(): Promise<void> {
    return this.exports.cutOffClients();
  }

  /** Waits until a cut-off export is gone (BLOCK_EXPORT_DELETED), so that it can be added again. */
  waitForExportGone(timeoutMs?: number): Promise<void> {
    return this.exports.waitForExportGone(timeoutMs);
  }

  // ─── replication (mirror-job.ts, mirror-peer.ts, replica-resync.ts) ─────────────────────

  /** Starts a write-blocking mirror to `target`, resolves once in sync; see {@link MirrorJob.start}. */
  startMirror(target: MirrorTarget, options: MirrorOptions = {}): Promise<void> {
    return this.mirror.start(target, options);
  }

  /** Brings a `stale` replica back in sync with the last target; see {@link ReplicaResync.resync}. */
  resyncReplica(options: ResyncOptions = {}): Promise<ResyncReport> {
    return this.resync.resync(options);
  }

  /**
   * Checks, without touching the graph, that the last mirror target answers: the same probe
   * as `startMirror`'s (nbdinfo with the replication key, through `probePrefix`, so from the
   * daemon's network namespace). Throws {@link MirrorTargetUnreachableError} or
   * {@link MirrorTargetSizeMismatchError}.
   */
  async probeLastTarget(timeoutMs = 5_000): Promise<void> {
    const last = this.peer.lastTarget;
    if (!last) throw new CopyRuntimeStateError('probe the mirror target', 'no mirror was ever started', 'a mirror target is known');
    await this.peer.probe(last.target, timeoutMs);
  }

  /**
   * The probe the lease guard runs (docs/replication-safety.md): the same NBD handshake with the
   * replication key as `probeLastTarget`, as argv; undefined before any mirror started.
   */
  /** The target of the last mirror started (in memory: a restarted daemon knows none). */
  get lastMirrorTarget(): MirrorTarget | undefined {
    return this.peer.lastTarget?.target;
  }

  mirrorProbeCommand(): string[] | undefined {
    const target = this.peer.lastTarget?.target;
    return target ? this.peer.probeArgv(target) : undefined;
  }

  /**
   * Breaks this daemon's TCP connections to the mirror target (`ss -K` where the daemon runs),
   * so a black-holed connection turns into a reconnect that holds writes and can be cancelled,
   * instead of a request QEMU waits on for as long as TCP retransmits (trial: QMP blocks on it).
   */
  cutPeerConnections(): Promise<void> {
    return this.peer.cutConnections();
  }

  /** Ends a mirror the control plane marked out of date; see {@link MirrorJob.abandon}. */
  abandonMirror(reason: string): Promise<void> {
    return this.mirror.abandon(reason);
  }

  /** Ends replication (soft cancel when in sync: the target is consistent); see {@link MirrorJob.stop}. */
  stopMirror(): Promise<void> {
    return this.mirror.stop();
  }

  // ─── fencing ────────────────────────────────────────────────────────────────────────────

  /**
   * Fences this copy (before another copy is promoted): removes the export, ends the mirror
   * (a final sync if it is in sync), and reopens file, raw and throttle nodes read-only, so
   * the file descriptor is O_RDONLY and no writable export can be added (§7).
   */
  async fence(): Promise<void> {
    this.graph.assertOpen('fence the copy');
    await this.exports.removeExport();
    await this.mirror.stop();
    if (this.graph.isReadOnly) return;
    await this.graph.reopen(true);
    this.q.logger.warn('copy fenced read-only');
  }

  /** Reopens the graph read-write (after the control plane made this copy primary again). */
  async unfence(): Promise<void> {
    this.graph.assertOpen('unfence the copy');
    if (!this.graph.isReadOnly) return;
    await this.graph.reopen(false);
    this.q.logger.info('copy writable again');
  }

  // ─── observation ────────────────────────────────────────────────────────────────────────

  /** How far the mirror job is (QMP `query-jobs`: bytes done and bytes in all), if one runs. */
  mirrorProgress(): Promise<{ current: number; total: number } | undefined> {
    return this.mirror.progress();
  }

  /** What QEMU reports right now (for reconcile loops and diagnostics). */
  async observe(): Promise<ObservedCopyState> {
    const { names } = this.q;
    const nodes = await this.q.exec<QueryNamedNode[]>('query-named-block-nodes', { flat: true });
    const exports = await this.q.exec<Array<{ id: string; 'node-name': string; 'shutting-down': boolean }>>('query-block-exports');
    const jobs = await this.q.exec<QueryJobsEntry[]>('query-jobs');
    const exportEntry = exports.find((entry) => entry.id === names.export);
    const job = jobs.find((entry) => entry.id === names.mirrorJob);
    return {
      nodeNames: nodes.map((node) => node['node-name']),
      rootReadOnly: nodes.find((node) => node['node-name'] === names.root)?.ro,
      export: exportEntry ? { id: exportEntry.id, nodeName: exportEntry['node-name'], shuttingDown: exportEntry['shutting-down'] } : undefined,
      job: job ? { id: job.id, status: job.status, ...(job.error ? { error: job.error } : {}) } : undefined,
      replica: this.mirror.replicaStatus,
    };
  }

  private handleEvent(event: QmpEvent): void {
    if (this.exports.handleEvent(event)) return;
    this.mirror.handleEvent(event);
  }
}
