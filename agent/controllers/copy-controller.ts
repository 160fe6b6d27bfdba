/**
 * The copies controller: every volume copy on this host's disks, from creation to deletion.
 *
 * Skeleton (house style, "The agent"): a command or an event changes a copy's desired state
 * and enqueues the copy; the copy's queue (one per copy: same copy serialized, different
 * copies concurrent) runs `reconcile(copyId)`, which compares what is wanted with what runs
 * and acts. `reconcile` is idempotent: guard clauses first, then only the missing steps, and
 * the reported state is written only when it changed. Transient failures (QMP timeouts, a
 * daemon that did not start) are retried {@link RECONCILE_BACKOFF}.maxAttempts times with a
 * bounded backoff; the last error goes to the waiting command and into the copy's report.
 *
 * At start every copy found on the disks is opened (locked) and `held`: no daemon serves it
 * until the control plane answers the registration with `resume-copy` (or `delete-copy`). A
 * daemon left running by a dead agent is killed first (see orphan-daemon.ts). A daemon that
 * dies is not restarted on the agent's own initiative: the copy reports `daemon-died` until a
 * command serves it again.
 *
 * Files per copy: data, metadata and keys on its disk (`<disk>/copies/<copyId>/`, see
 * volume-copy.ts); the daemon's socket, pidfile, marker and log in `<data-dir>/run/<copyId>/`.
 *
 * Events: `'state-changed'` (CopyReport) whenever a copy's reported state changes, `'removed'`
 * (copyId) after a deletion, `'replica-stale'` (CopyEntry, ReplicaStaleEvent) when a served
 * primary's replica turns stale (the mirror controller starts its bounded recovery, emitted
 * before the new state is computed, so a recovering replica is never reported `replica-stale`).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  CopyEndpointResult,
  CreateCopyPayload,
  DeleteCopyPayload,
  PromoteCopyPayload,
  ResumeCopyPayload,
  SetClientKeysPayload,
  SetIopsPayload,
} from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { ReplicaStaleEvent, ReplicaStatusChange } from '../copies/copy-runtime';
import { ReplicaStatus } from '../copies/replica-status';
import { ServedCopy } from '../copies/served-copy';
import { VolumeCopy } from '../copies/volume-copy';
import { DiskController } from '../devices/disk-controller';
import { GiB, ManagedDisk } from '../devices/managed-disk';
import {
  AgentStoppingError,
  CopyConflictError,
  CopyNotFoundError,
  CopyNotServingError,
  CopyRoleMismatchError,
  DaemonStartError,
  QmpCommandError,
  QmpConnectError,
  QmpEventTimeoutError,
  QmpTimeoutError,
  StaleGenerationError,
} from '../errors';
import { killOrphanDaemon } from '../qsd/orphan-daemon';
import { DaemonExit } from '../qsd/storage-daemon';
import { clientAccessList, onlyAdds } from '../tls/client-access-list';
import { PskKey } from '../tls/psk-keys-file';
import { BackoffPolicy, retryWithBackoff, sleep } from '../util/backoff';
import { KeyedQueue } from '../util/keyed-queue';
import { AgentLogger, silentLogger } from '../util/logger';
import { CopyPhase, CopyReport, CopyState, MAX_DETAIL_LENGTH, transitionPhase } from './copy-state';
import { PortAllocator } from './port-allocator';
import { CopyStateRow, StateFile } from './state-file';

/** Reconcile attempts per request, with delays of 250 ms, then 500 ms (capped at 2 s). */
export const RECONCILE_BACKOFF: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 3 };
/** New ports tried when the copy's port turns out to be taken by another program. */
export const NBD_BIND_ATTEMPTS = 5;
/** `max-connections` of each copy's NBD server: a client and its reconnects, or the primary's mirror. */
export const NBD_MAX_CONNECTIONS = 16;

export interface CopyControllerOptions {
  hostId: string;
  /** Where the agent keeps its run files and state file. */
  dataDir: string;
  /** The address every copy's NBD server listens on (and that results name). */
  address: string;
  /** Run each daemon in this network namespace. @default the agent's own */
  netns?: string;
  disks: DiskController;
  ports: PortAllocator;
  /** @default 'qemu-storage-daemon' */
  qsdBinary?: string;
  /** The fleet-wide lease (docs/replication-safety.md): a promoted mirror serves only this long (+ margin) after its mirror export went. @default {@link DEFAULT_LEASE_MS} */
  leaseMs?: number;
  logger?: AgentLogger;
}

/** The mirror controller's part of a copy (replication of a primary). */
export interface ReplicaRecord {
  /** Fingerprint of the mirror target the running job writes to. */
  targetFingerprint?: string;
  /** Why the replica went stale or was abandoned. */
  staleReason?: string;
}

/** How long a promoted mirror waits, beyond the lease, before it serves clients (clock and probe-timing slack). */
export const LEASE_MARGIN_MS = 2_000;
/** The lease an old primary may still serve under after its mirror stopped confirming it (lease-guard.ts). */
export const DEFAULT_LEASE_MS = 10_000;

/** One copy this agent holds; shared by the copies and mirror controllers, changed only inside the copy's queue. */
export interface CopyEntry {
  readonly copyId: string;
  readonly copy: VolumeCopy;
  readonly disk: ManagedDisk;
  readonly logger: AgentLogger;
  /** Desired. */
  phase: CopyPhase;
  /** Desired: the NBD server's access list (client key for a primary, replication key for a mirror). */
  serverKeys: PskKey[] | undefined;
  /** Observed. */
  served: ServedCopy | undefined;
  appliedKeysFingerprint: string | undefined;
  daemonExit: DaemonExit | undefined;
  lastError: string | undefined;
  replica: ReplicaRecord;
  reported: CopyReport | undefined;
  /** Set when the copy must serve no client (its primacy was refused); cleared by the next command that serves it. */
  fencedReason?: string;
  /** A promoted mirror adds its client export only after this time (the old primary's lease). */
  exportBlockedUntil?: number;
}

export class CopyController extends EventEmitter {
  private readonly entries = new Map<string, CopyEntry>();
  private readonly queue = new KeyedQueue();
  private readonly logger: AgentLogger;
  private readonly stateFile: StateFile;
  private stopping = false;

  private readonly leaseMs: number;

  constructor(private readonly options: CopyControllerOptions) {
    super();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.logger = (options.logger ?? silentLogger).child({ controller: 'copies' });
    this.stateFile = new StateFile(options.dataDir, this.logger);
    options.disks.on('disk-ready', (disk: ManagedDisk) => {
      void this.adoptDisk(disk).catch((error: Error) => this.logger.error('cannot scan a disk that became ready', { disk: disk.name, error: error.message }));
    });
  }

  get statePath(): string {
    return this.stateFile.path;
  }

  // ─── start: find and hold every copy ────────────────────────────────────────────────────

  /** Opens (locks) and holds every copy on every ready disk. */
  async scan(): Promise<void> {
    await fs.mkdir(path.join(this.options.dataDir, 'run'), { recursive: true, mode: 0o700 });
    for (const disk of this.options.disks.readyDisks()) await this.adoptDisk(disk);
    this.writeStateFile();
  }

  /** Holds every copy on `disk`: removes interrupted creations, locks, kills orphan daemons. */
  async adoptDisk(disk: ManagedDisk): Promise<void> {
    const swept = await disk.store.sweepIncomplete();
    if (swept.length > 0) this.logger.warn('removed interrupted copy creations', { disk: disk.name, copyIds: swept });
    for (const metadata of await disk.store.list()) {
      const logger = this.logger.child({ volumeId: metadata.volumeId, copyId: metadata.copyId });
      if (this.entries.has(metadata.copyId)) {
        logger.error('the same copy id is on two disks; keeping the first one found', { disk: disk.name });
        continue;
      }
      let copy: VolumeCopy;
      try {
        copy = await disk.store.open(metadata.copyId);
      } catch (error) {
        logger.error('cannot open a copy found on disk; it is not reported', { disk: disk.name, error: (error as Error).message });
        continue;
      }
      // The lock is ours, so the agent that ran a daemon for it is gone: a daemon still
      // running serves the copy behind our back. A held copy never serves.
      const orphanPid = await killOrphanDaemon(this.pidFileOf(copy));
      if (orphanPid !== undefined) logger.warn('killed the daemon a previous agent left running', { pid: orphanPid });
      if (copy.metadata.nbdPort !== undefined) this.options.ports.claim(copy.metadata.nbdPort, copy.copyId);
      const entry = this.newEntry(copy, disk, CopyPhase.Held);
      this.entries.set(copy.copyId, entry);
      logger.info('copy found and held', { disk: disk.name, role: copy.metadata.role, generation: copy.metadata.generation });
      this.updateStatus(entry);
    }
  }

  // ─── commands ───────────────────────────────────────────────────────────────────────────

  /** `create-copy`: a new copy, served in its role; the same copy again gives the same answer. */
  createCopy(payload: CreateCopyPayload): Promise<CopyEndpointResult> {
    return this.exclusive(payload.copyId, 'create a copy', async () => {
      const sizeBytes = payload.sizeGiB * GiB;
      const keys = serverKeysFor(payload);
      let entry = this.entries.get(payload.copyId);
      if (entry) {
        const { metadata } = entry.copy;
        if (metadata.volumeId !== payload.volumeId || metadata.sizeBytes !== sizeBytes || metadata.role !== payload.role) {
          throw new CopyConflictError(
            payload.copyId,
            `it is a ${metadata.role} of ${metadata.volumeId} with ${metadata.sizeBytes} bytes; the command asks for a ${payload.role} of ${payload.volumeId} with ${sizeBytes} bytes`,
          );
        }
        assertNotStale(entry, payload.generation);
        entry.logger.info('create-copy for an existing copy: making sure it is served');
      } else {
        const reservation = await this.options.disks.reserve(payload.type, sizeBytes);
        let copy: VolumeCopy;
        try {
          copy = await reservation.disk.store.create({
            volumeId: payload.volumeId,
            copyId: payload.copyId,
            role: payload.role,
            generation: payload.generation,
            sizeBytes,
            iops: payload.iops,
          });
        } finally {
          reservation.release();
        }
        entry = this.newEntry(copy, reservation.disk, CopyPhase.Held);
        this.entries.set(copy.copyId, entry);
      }
      await this.serve(entry, { generation: payload.generation, keys });
      return this.endpointOf(entry);
    });
  }

  /** `resume-copy`: serve a held (or daemon-died) copy in the role and generation the control plane says. */
  resumeCopy(payload: ResumeCopyPayload): Promise<CopyEndpointResult> {
    return this.exclusive(payload.copyId, 'resume a copy', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      await this.serve(entry, { generation: payload.generation, role: payload.role, keys: serverKeysFor(payload) });
      return this.endpointOf(entry);
    });
  }

  /**
   * `promote-copy`: a mirror becomes the primary at the command's generation. Its export is
   * removed (the old primary's replication session is cut), its PSK file becomes the client
   * key alone, and the export comes back for clients on the same address and port.
   */
  promoteCopy(payload: PromoteCopyPayload): Promise<CopyEndpointResult> {
    return this.exclusive(payload.copyId, 'promote a copy', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      if (entry.copy.metadata.role !== CopyRole.Primary) {
        // The old primary may still serve until its lease from this mirror runs out: the mirror
        // export goes first (that ends the lease's renewals), clients come only after the lease.
        await entry.served?.runtime.removeExport();
        entry.exportBlockedUntil = Date.now() + this.leaseMs + LEASE_MARGIN_MS;
        entry.logger.warn('promoting the mirror to primary; serving clients once the old primary\'s lease has ended', {
          generation: payload.generation,
          waitMs: this.leaseMs + LEASE_MARGIN_MS,
        });
      }
      await this.serve(entry, { generation: payload.generation, role: CopyRole.Primary, keys: clientAccessList(payload.copyId, payload.clientKey, payload.clientKeys) });
      return this.endpointOf(entry);
    });
  }

  /** `delete-copy`: daemon stopped, files deleted, lock released; an unknown copy counts as deleted. */
  deleteCopy(payload: DeleteCopyPayload): Promise<{ copyId: string; deleted: boolean }> {
    return this.exclusive(payload.copyId, 'delete a copy', async () => {
      const entry = this.entries.get(payload.copyId);
      if (!entry) return { copyId: payload.copyId, deleted: false };
      if (entry.copy.volumeId !== payload.volumeId) {
        throw new CopyConflictError(payload.copyId, `it belongs to volume ${entry.copy.volumeId}, not ${payload.volumeId}; not deleted`);
      }
      // A replayed or rolled-back record never deletes a copy that has moved on since.
      if (payload.generation !== undefined) assertNotStale(entry, payload.generation);
      entry.phase = transitionPhase(entry.phase, CopyPhase.Deleted);
      await this.reconcile(entry);
      return { copyId: payload.copyId, deleted: true };
    });
  }

  /** `set-iops`: the copy's throttle group gets the complete limits for `iops` (0 = unlimited). */
  setIops(payload: SetIopsPayload): Promise<{ copyId: string; iops: number }> {
    return this.exclusive(payload.copyId, 'set the IOPS limit', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      if (entry.served) {
        await entry.served.runtime.setIopsLimit(payload.iops);
      } else {
        // Not running: the limit is applied from the metadata when the daemon starts.
        await entry.copy.updateMetadata({ iops: payload.iops });
      }
      entry.logger.info('IOPS limit set', { iops: payload.iops, applied: entry.served !== undefined });
      return { copyId: payload.copyId, iops: payload.iops };
    });
  }

  /**
   * `set-client-keys`: the served primary admits exactly these keys (one per attachment). Keys
   * only added are written to the PSK file in place (QEMU reads it at each handshake, open
   * sessions stay); a key that left ends every session (the export is removed and added again)
   * so a detached client cannot stay connected.
   */
  setClientKeys(payload: SetClientKeysPayload): Promise<{ copyId: string; identities: string[] }> {
    return this.exclusive(payload.copyId, 'set the client keys', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      const { role } = entry.copy.metadata;
      if (role !== CopyRole.Primary) throw new CopyRoleMismatchError(payload.copyId, 'set the client keys', role, CopyRole.Primary);
      if (entry.phase !== CopyPhase.Served) throw new CopyNotServingError(payload.copyId, 'set the client keys', entry.phase);
      const keys = clientAccessList(payload.copyId, undefined, payload.clientKeys);
      const runtime = entry.served?.runtime;
      const applied = entry.serverKeys;
      if (runtime?.nbdServerActive && applied && entry.appliedKeysFingerprint === keysFingerprint(applied) && onlyAdds(applied, keys)) {
        await runtime.replaceClientKeys(keys);
        entry.serverKeys = keys;
        entry.appliedKeysFingerprint = keysFingerprint(keys);
        entry.logger.info('NBD access list extended', { identities: keys.map((key) => key.identity) });
      } else {
        // The key list never moves the copy's generation (only create, resume and promote do).
        await this.serve(entry, { generation: entry.copy.metadata.generation, keys });
      }
      return { copyId: payload.copyId, identities: keys.map((key) => key.identity) };
    });
  }

  // ─── for the mirror controller ──────────────────────────────────────────────────────────

  /** Runs `work` in the copy's queue (serialized with every other change of that copy). */
  exclusive<T>(copyId: string, operation: string, work: () => Promise<T>): Promise<T> {
    if (this.stopping) return Promise.reject(new AgentStoppingError(operation));
    return this.queue.run(copyId, async () => {
      if (this.stopping) throw new AgentStoppingError(operation);
      try {
        return await work();
      } finally {
        // A command's outcome is posted only once the state file shows its effect (PIDs, ports).
        await this.stateFile.flush();
      }
    });
  }

  /** The copy, checked against the volume the command names; throws {@link CopyNotFoundError}. */
  require(copyId: string, volumeId: string): CopyEntry {
    const entry = this.entries.get(copyId);
    if (!entry) throw new CopyNotFoundError(copyId, 'this host');
    if (entry.copy.volumeId !== volumeId) {
      throw new CopyConflictError(copyId, `it belongs to volume ${entry.copy.volumeId}, not ${volumeId}`);
    }
    return entry;
  }

  /** Adds the copy's export again after it was cut off (replica-fault-controller.ts), inside the copy's queue. */
  restoreExport(entry: CopyEntry): Promise<void> {
    return this.exclusive(entry.copyId, 'restore the export', () => this.reconcileWithRetry(entry));
  }

  /** Recomputes the copy's reported state (call inside its queue after changing it). */
  updateStatus(entry: CopyEntry): void {
    const report = this.reportOf(entry);
    if (JSON.stringify(report) !== JSON.stringify(entry.reported)) {
      entry.reported = report;
      entry.logger.info('copy state', { state: report.state, detail: report.detail, role: report.role, generation: report.generation });
      this.emit('state-changed', report);
    }
    this.writeStateFile();
  }

  // ─── reports ────────────────────────────────────────────────────────────────────────────

  /** Every copy held, as the registration and the heartbeat report them. */
  reports(): CopyReport[] {
    return [...this.entries.values()].map((entry) => this.reportOf(entry));
  }

  /** The copy's row of the state file (PID, files, endpoint); undefined for an unknown copy. */
  describe(copyId: string): CopyStateRow | undefined {
    const entry = this.entries.get(copyId);
    return entry ? this.rowOf(entry) : undefined;
  }

  /** True for a copy this agent holds without serving it (found at start, not served since). */
  isHeld(copyId: string): boolean {
    return this.entries.get(copyId)?.phase === CopyPhase.Held;
  }

  /** The copy's running daemon and graph, if it is served (diagnostics and tests). */
  servedCopy(copyId: string): ServedCopy | undefined {
    return this.entries.get(copyId)?.served;
  }

  get copyIds(): string[] {
    return [...this.entries.keys()];
  }

  // ─── shutdown ───────────────────────────────────────────────────────────────────────────

  /**
   * Stops every daemon cleanly (`quit`) and releases every lock. Runs beside the queues on
   * purpose: a command waiting for a mirror to sync must not delay the stop; it fails when its
   * daemon goes, and its result is not posted (the control plane hands the command out again).
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        try {
          await this.stopServing(entry);
        } catch (error) {
          entry.logger.error('daemon did not stop cleanly', { error: (error as Error).message });
        }
        await entry.copy.release();
      }),
    );
    this.writeStateFile();
    await this.stateFile.flush();
    this.logger.info('every copy released', { copies: this.entries.size });
  }

  // ─── reconcile ──────────────────────────────────────────────────────────────────────────

  /** Sets the desired serving state, then reconciles (inside the copy's queue). */
  private async serve(entry: CopyEntry, desired: { generation: number; role?: CopyRole; keys: PskKey[] }): Promise<void> {
    const { metadata } = entry.copy;
    if (desired.generation > metadata.generation || (desired.role !== undefined && desired.role !== metadata.role)) {
      await entry.copy.updateMetadata({ generation: Math.max(desired.generation, metadata.generation), ...(desired.role ? { role: desired.role } : {}) });
    }
    entry.phase = transitionPhase(entry.phase, CopyPhase.Served);
    entry.serverKeys = desired.keys;
    // A command that serves the copy is the control plane's word to start its daemon again.
    entry.daemonExit = undefined;
    entry.fencedReason = undefined;
    await this.reconcileWithRetry(entry);
  }

  private async reconcileWithRetry(entry: CopyEntry): Promise<void> {
    await retryWithBackoff(RECONCILE_BACKOFF, () => this.reconcile(entry), {
      isRetryable: isTransient,
      onRetry: (error, attempt, delayMs) => entry.logger.warn('reconcile failed; retrying', { attempt, delayMs, error: (error as Error).message }),
      signal: undefined,
    });
  }

  /** Brings what runs in line with the copy's phase; idempotent. */
  private async reconcile(entry: CopyEntry): Promise<void> {
    try {
      switch (entry.phase) {
        case CopyPhase.Deleted:
          await this.stopServing(entry);
          await entry.copy.destroy();
          await fs.rm(this.runDirOf(entry.copyId), { recursive: true, force: true });
          if (entry.copy.metadata.nbdPort !== undefined) this.options.ports.release(entry.copy.metadata.nbdPort, entry.copyId);
          this.entries.delete(entry.copyId);
          entry.logger.info('copy deleted');
          this.writeStateFile();
          this.emit('removed', entry.copyId);
          return;
        case CopyPhase.Held:
          await this.stopServing(entry);
          break;
        case CopyPhase.Served:
          if (entry.daemonExit) break; // only a command restarts a dead daemon (see serve())
          await this.reconcileServed(entry);
          break;
        default: {
          const unknown: never = entry.phase;
          throw new Error(`unknown copy phase ${String(unknown)}`);
        }
      }
      entry.lastError = undefined;
    } catch (error) {
      entry.lastError = (error as Error).message;
      throw error;
    } finally {
      if (this.entries.has(entry.copyId)) this.updateStatus(entry);
    }
  }

  private async reconcileServed(entry: CopyEntry): Promise<void> {
    const keys = entry.serverKeys;
    if (!keys) throw new Error(`copy ${entry.copyId} is to be served but has no keys (a command sets them)`);
    if (!entry.served) await this.startDaemon(entry);
    const served = entry.served as ServedCopy;
    const runtime = served.runtime;
    if (runtime.isReadOnly) await runtime.unfence();
    if (entry.copy.metadata.role === CopyRole.Mirror && runtime.replicaStatus !== ReplicaStatus.Detached) {
      // A mirror does not replicate onwards (a demoted primary, if the control plane ever asks).
      await runtime.stopMirror();
      dropReplica(entry);
    }
    const fingerprint = keysFingerprint(keys);
    const exportName = exportNameOf(entry);
    if (!runtime.nbdServerActive) {
      await this.startNbdServer(entry, keys);
    } else if (entry.appliedKeysFingerprint !== fingerprint) {
      // Sessions opened with the old keys must end: the export goes, then comes back below.
      await runtime.removeExport();
      await runtime.replaceClientKeys(keys);
      entry.logger.info('NBD access list replaced', { identities: keys.map((key) => key.identity) });
    } else if (runtime.hasExport && runtime.currentExportName !== exportName && !runtime.clientsCutOff) {
      await runtime.removeExport();
    }
    entry.appliedKeysFingerprint = fingerprint;
    if (entry.fencedReason !== undefined || runtime.hasExport) return;
    const blockedForMs = (entry.exportBlockedUntil ?? 0) - Date.now();
    if (blockedForMs > 0) {
      entry.logger.info("waiting for the old primary's lease to end before serving", { waitMs: blockedForMs });
      await sleep(blockedForMs);
    }
    entry.exportBlockedUntil = undefined;
    // A mirror's export is write-through: what the primary acknowledges is on stable storage here.
    await runtime.addExport({ writable: true, name: exportName, writethrough: entry.copy.metadata.role === CopyRole.Mirror });
  }

  private async startDaemon(entry: CopyEntry): Promise<void> {
    const served = await ServedCopy.start(entry.copy, {
      runDir: this.runDirOf(entry.copyId),
      ...(this.options.netns ? { netns: this.options.netns } : {}),
      ...(this.options.qsdBinary ? { qsdBinary: this.options.qsdBinary } : {}),
      logger: this.logger,
    });
    entry.served = served;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    served.on('daemon-exited', (exit: DaemonExit) => this.onDaemonExited(entry, served, exit));
    served.runtime.on('replica-stale', (event: ReplicaStaleEvent) => {
      if (entry.served !== served) return;
      entry.replica.staleReason = event.reason;
      if (entry.copy.metadata.role === CopyRole.Primary && entry.phase === CopyPhase.Served) this.emit('replica-stale', entry, event);
      void this.refreshStatus(entry);
    });
    served.runtime.on('replica-status', (change: ReplicaStatusChange) => {
      if (entry.served !== served) return;
      this.emit('replica-status', entry, change);
      void this.refreshStatus(entry);
    });
    served.runtime.on('export-deleted', (event: { expected: boolean }) => {
      if (event.expected || entry.served !== served) return;
      entry.logger.warn('export deleted without being asked; adding it again');
      void this.exclusive(entry.copyId, 'restore the export', () => this.reconcileWithRetry(entry)).catch((error: Error) =>
        entry.logger.error('cannot restore the export', { error: error.message }),
      );
    });
    entry.logger.info('daemon serving the copy', { pid: served.daemon.pid, previousShutdownUnclean: served.startReport.previousShutdownUnclean });
    this.writeStateFile();
  }

  /** Starts the copy's NBD server on its port; a port some other program holds is replaced. */
  private async startNbdServer(entry: CopyEntry, keys: PskKey[]): Promise<void> {
    const runtime = (entry.served as ServedCopy).runtime;
    for (let attempt = 1; ; attempt++) {
      const port = await this.portOf(entry);
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

  /** The copy's port: the one in its metadata, else a new one, recorded before use. */
  private async portOf(entry: CopyEntry): Promise<number> {
    const recorded = entry.copy.metadata.nbdPort;
    if (recorded !== undefined) return recorded;
    const port = this.options.ports.allocate(entry.copyId);
    await entry.copy.updateMetadata({ nbdPort: port });
    return port;
  }

  private async stopServing(entry: CopyEntry): Promise<void> {
    const served = entry.served;
    if (!served) return;
    entry.served = undefined;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    await served.stop();
  }

  private onDaemonExited(entry: CopyEntry, served: ServedCopy, exit: DaemonExit): void {
    if (entry.served !== served) return;
    served.runtime.detach();
    entry.served = undefined;
    entry.appliedKeysFingerprint = undefined;
    dropReplica(entry);
    entry.daemonExit = exit;
    entry.logger.error('the copy\'s daemon died; the copy is not served until a command says so', { code: exit.code, signal: exit.signal });
    void this.refreshStatus(entry);
  }

  /** Enqueues a status refresh (events arrive outside the copy's queue). */
  private async refreshStatus(entry: CopyEntry): Promise<void> {
    if (this.stopping) return;
    await this.queue.run(entry.copyId, async () => {
      if (this.entries.get(entry.copyId) === entry) this.updateStatus(entry);
    });
  }

  // ─── helpers ────────────────────────────────────────────────────────────────────────────

  private newEntry(copy: VolumeCopy, disk: ManagedDisk, phase: CopyPhase): CopyEntry {
    return {
      copyId: copy.copyId,
      copy,
      disk,
      logger: this.logger.child({ volumeId: copy.volumeId, copyId: copy.copyId }),
      phase,
      serverKeys: undefined,
      served: undefined,
      appliedKeysFingerprint: undefined,
      daemonExit: undefined,
      lastError: undefined,
      replica: {},
      reported: undefined,
    };
  }

  private reportOf(entry: CopyEntry): CopyReport {
    const { metadata } = entry.copy;
    const base = { volumeId: metadata.volumeId, copyId: metadata.copyId, role: metadata.role, generation: metadata.generation };
    const [state, detail] = this.stateOf(entry);
    return { ...base, state, ...(detail ? { detail: detail.slice(0, MAX_DETAIL_LENGTH) } : {}) };
  }

  private stateOf(entry: CopyEntry): [CopyState, string | undefined] {
    if (entry.phase === CopyPhase.Held) return [CopyState.Held, entry.lastError];
    if (entry.fencedReason !== undefined) return [CopyState.Held, entry.fencedReason];
    if (entry.daemonExit) {
      const { code, signal } = entry.daemonExit;
      return [CopyState.DaemonDied, `qemu-storage-daemon exited unexpectedly (code ${code ?? '-'}, signal ${signal ?? '-'})`];
    }
    const runtime = entry.served?.runtime;
    if (!runtime || !runtime.hasExport) return [CopyState.Created, entry.lastError ?? 'not serving yet'];
    if (entry.copy.metadata.role === CopyRole.Mirror) return [CopyState.Mirroring, undefined];
    switch (runtime.replicaStatus) {
      case ReplicaStatus.InSync:
        return [CopyState.Serving, undefined];
      case ReplicaStatus.Stale:
        return [CopyState.ReplicaStale, entry.replica.staleReason ?? 'the mirror stopped being synchronous'];
      case ReplicaStatus.Syncing:
        return [CopyState.Created, 'replica syncing'];
      case ReplicaStatus.Stopping:
      case ReplicaStatus.Detached:
        return [CopyState.Created, entry.replica.staleReason ?? 'no mirror'];
      default: {
        const unknown: never = runtime.replicaStatus;
        return [CopyState.Created, `replica ${String(unknown)}`];
      }
    }
  }

  private endpointOf(entry: CopyEntry): CopyEndpointResult {
    const port = entry.copy.metadata.nbdPort;
    if (port === undefined) throw new Error(`copy ${entry.copyId} has no NBD port yet`);
    return { copyId: entry.copyId, nbd: { address: this.options.address, port, exportName: exportNameOf(entry) } };
  }

  private rowOf(entry: CopyEntry): CopyStateRow {
    const runDir = this.runDirOf(entry.copyId);
    const root = entry.copy.metadata.nodeNames.root;
    const port = entry.copy.metadata.nbdPort;
    return {
      ...this.reportOf(entry),
      disk: entry.disk.name,
      dataPath: entry.copy.dataPath,
      ...(entry.served?.daemon.pid !== undefined ? { daemonPid: entry.served.daemon.pid } : {}),
      pidFile: path.join(runDir, `${root}.pid`),
      qmpSocket: path.join(runDir, `${root}.qmp`),
      ...(port !== undefined ? { nbd: { address: this.options.address, port, exportName: exportNameOf(entry) } } : {}),
    };
  }

  private writeStateFile(): void {
    this.stateFile.update({
      hostId: this.options.hostId,
      agentPid: process.pid,
      copies: [...this.entries.values()].filter((entry) => entry.copy.isHeld).map((entry) => this.rowOf(entry)),
    });
  }

  private runDirOf(copyId: string): string {
    return path.join(this.options.dataDir, 'run', copyId);
  }

  private pidFileOf(copy: VolumeCopy): string {
    return path.join(this.runDirOf(copy.copyId), `${copy.metadata.nodeNames.root}.pid`);
  }
}

/** Forgets the replica (the daemon is gone). */
function dropReplica(entry: CopyEntry): void {
  entry.replica = {};
}

/**
 * The NBD export name: the volume id for a primary (clients), `<volume>.g<generation>` for a
 * mirror, so a primary of an older generation never finds its mirror again (invariant 2).
 */
export function exportNameOf(entry: CopyEntry): string {
  const { metadata } = entry.copy;
  return metadata.role === CopyRole.Mirror ? `${metadata.volumeId}.g${metadata.generation}` : metadata.volumeId;
}

function serverKeysFor(payload: CreateCopyPayload | ResumeCopyPayload): PskKey[] {
  if (payload.role === CopyRole.Primary) return clientAccessList(payload.copyId, payload.clientKey, payload.clientKeys);
  return [payload.replicationKey];
}

function assertNotStale(entry: CopyEntry, generation: number): void {
  if (generation < entry.copy.metadata.generation) throw new StaleGenerationError(entry.copyId, generation, entry.copy.metadata.generation);
}

export function keysFingerprint(keys: readonly PskKey[]): string {
  const text = keys
    .map((key) => `${key.identity}:${key.keyHex.toLowerCase()}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(text).digest('hex');
}

function isTransient(error: unknown): boolean {
  return error instanceof QmpTimeoutError || error instanceof QmpConnectError || error instanceof QmpEventTimeoutError || error instanceof DaemonStartError;
}
