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
 * Parts: copy-entry.ts (one copy's desired and observed state), copy-daemons.ts (its daemon
 * and NBD server), copy-report.ts (its reported state, endpoint and state-file row).
 *
 * Files per copy: data, metadata and keys on its disk (`<disk>/copies/<copyId>/`, see
 * volume-copy.ts); the daemon's socket, pidfile, marker and log in `<data-dir>/run/<copyId>/`.
 *
 * Events: `'state-changed'` (CopyReport) whenever a copy's reported state changes, `'removed'`
 * (copyId) after a deletion, `'replica-stale'` (CopyEntry, ReplicaStaleEvent) when a served
 * primary's replica turns stale (the mirror controller starts its bounded recovery, emitted
 * before the new state is computed, so a recovering replica is never reported `replica-stale`).
 */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  CopyEndpointResult,
  CreateCopyPayload,
  DeleteCopyPayload,
  OpenRecoveryAccessPayload,
  PromoteCopyPayload,
  QuiesceReplicationPayload,
  RecoveryExportResult,
  ResizeCopyPayload,
  ResumeCopyPayload,
  SetClientKeysPayload,
  SetIopsPayload,
} from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { ReplicaStatus } from '../copies/replica-status';
import { ServedCopy } from '../copies/served-copy';
import { VolumeCopy } from '../copies/volume-copy';
import { DiskController } from '../devices/disk-controller';
import { GiB, ManagedDisk } from '../devices/managed-disk';
import {
  AgentError,
  AgentStoppingError,
  CopyConflictError,
  CopyNotFoundError,
  CopyNotServingError,
  CopyRoleMismatchError,
  CopyRuntimeStateError,
  DaemonStartError,
  QmpConnectError,
  QmpEventTimeoutError,
  QmpTimeoutError,
  RecoveryAccessRefusedError,
} from '../errors';
import type { SnapshotFiller } from '../snapshots/snapshot-fill';
import { stopOrphanDaemon } from '../qsd/orphan-stop';
import { daemonFilesOf } from '../qsd/storage-daemon';
import { RecoveryExports } from '../recovery/recovery-exports';
import { clientAccessList, onlyAdds } from '../tls/client-access-list';
import { PskKey } from '../tls/psk-keys-file';
import { BackoffPolicy, retryWithBackoff, sleep } from '../util/backoff';
import { KeyedQueue } from '../util/keyed-queue';
import { AgentLogger, silentLogger } from '../util/logger';
import { CopyDaemons } from './copy-daemons';
import { CopyEntry, assertNotStale, dropReplica, exportNameOf, keysFingerprint, newEntry } from './copy-entry';
import { CopyModifications, ModifiableCopies, QuiesceResult, ResizeResult } from './copy-modifications';
import { endpointOf, reportOf, rowOf } from './copy-report';
import { CopyPhase, CopyReport, transitionPhase } from './copy-state';
import { PortAllocator } from './port-allocator';
import { CopyStateRow, StateFile } from './state-file';

/** Reconcile attempts per request, with delays of 250 ms, then 500 ms (capped at 2 s). */
export const RECONCILE_BACKOFF: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 3 };
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
  /** Fills a new copy from a snapshot (`create-copy` with `restoreFrom`). @default none - such a create-copy then fails with AgentError */
  filler?: Pick<SnapshotFiller, 'fill'>;
  logger?: AgentLogger;
}

/** How long a promoted mirror waits, beyond the lease, before it serves clients (clock and probe-timing slack). */
export const LEASE_MARGIN_MS = 2_000;
/** The lease an old primary may still serve under after its mirror stopped confirming it (lease-guard.ts). */
export const DEFAULT_LEASE_MS = 10_000;

export class CopyController extends EventEmitter implements ModifiableCopies {
  private readonly entries = new Map<string, CopyEntry>();
  private readonly queue = new KeyedQueue();
  private readonly logger: AgentLogger;
  private readonly stateFile: StateFile;
  private readonly daemons: CopyDaemons;
  private readonly recoveryExports: RecoveryExports;
  private readonly modifications = new CopyModifications(this);
  private readonly quiesceListeners: Array<(entry: CopyEntry) => Promise<void>> = [];
  private readonly orphansStoppedCleanly = new Set<string>();
  private stopping = false;

  private readonly leaseMs: number;

  constructor(private readonly options: CopyControllerOptions) {
    super();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.logger = (options.logger ?? silentLogger).child({ controller: 'copies' });
    this.stateFile = new StateFile(options.dataDir, this.logger);
    this.daemons = new CopyDaemons(
      { dataDir: options.dataDir, address: options.address, ports: options.ports, logger: this.logger, ...(options.netns ? { netns: options.netns } : {}), ...(options.qsdBinary ? { qsdBinary: options.qsdBinary } : {}) },
      {
        replicaStale: (entry, event) => {
          if (entry.copy.metadata.role === CopyRole.Primary && entry.phase === CopyPhase.Served) this.emit('replica-stale', entry, event);
          void this.refreshStatus(entry);
        },
        replicaStatus: (entry, change) => {
          this.emit('replica-status', entry, change);
          void this.refreshStatus(entry);
        },
        exportLost: (entry) => {
          void this.exclusive(entry.copyId, 'restore the export', () => this.reconcileWithRetry(entry)).catch((error: Error) =>
            entry.logger.error('cannot restore the export', { error: error.message }),
          );
        },
        daemonExited: (entry) => void this.refreshStatus(entry),
        daemonStarted: () => this.writeStateFile(),
      },
    );
    this.recoveryExports = new RecoveryExports({
      address: options.address,
      ...(options.netns ? { netns: options.netns } : {}),
      ...(options.qsdBinary ? { qsdBinary: options.qsdBinary } : {}),
      runDirOf: (copyId) => this.daemons.runDirOf(copyId),
      onExpired: (copyId) => {
        void this.exclusive(copyId, 'close the admin export', () => this.recoveryExports.close(copyId, 'expired')).catch((error: Error) =>
          this.logger.error('cannot close an expired admin export', { copyId, error: error.message }),
        );
      },
      logger: this.logger,
    });
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
      await this.stopOrphan(copy, logger);
      if (copy.metadata.nbdPort !== undefined) this.options.ports.claim(copy.metadata.nbdPort, copy.copyId);
      const entry = newEntry(copy, disk, CopyPhase.Held, this.logger);
      this.entries.set(copy.copyId, entry);
      logger.info('copy found and held', { disk: disk.name, role: copy.metadata.role, generation: copy.metadata.generation });
      this.updateStatus(entry);
    }
  }

  /**
   * Stops the daemon an earlier agent left running for `copy` the way a clean stop would
   * (orphan-stop.ts); a primary's final sync is recorded as a clean stop's quiesce. Such a copy
   * counts as stopped cleanly ({@link stoppedCleanlyAtStart}); a daemon that could not be stopped
   * cleanly is killed, and its copy is in doubt like after a crash.
   */
  private async stopOrphan(copy: VolumeCopy, logger: AgentLogger): Promise<void> {
    const { metadata } = copy;
    const primary = metadata.role === CopyRole.Primary && metadata.quiesced === undefined;
    const outcome = await stopOrphanDaemon(daemonFilesOf(this.daemons.runDirOf(copy.copyId), metadata.nodeNames.root), metadata.nodeNames, primary, logger);
    if (!outcome.found) return;
    if (!outcome.clean) {
      logger.warn('killed the daemon a previous agent left running: it could not be stopped cleanly', { pid: outcome.pid, why: outcome.why });
      return;
    }
    if (outcome.mirrorIdentical !== undefined) {
      const mirror = outcome.mirror ? { mirror: outcome.mirror } : {};
      await copy.updateMetadata({ quiesced: { generation: metadata.generation, ...mirror, mirrorIdentical: outcome.mirrorIdentical, forCleanStop: true, at: new Date().toISOString() } });
    }
    this.orphansStoppedCleanly.add(copy.copyId);
    logger.warn('stopped cleanly the daemon a previous agent left running', { pid: outcome.pid, mirrorIdentical: outcome.mirrorIdentical });
  }

  /** Copies whose daemon an earlier agent left running and this one stopped cleanly at start. */
  stoppedCleanlyAtStart(copyId: string): boolean {
    return this.orphansStoppedCleanly.has(copyId);
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
        const reservation = await this.options.disks.reserve(payload.type, sizeBytes, payload.deviceId);
        let copy: VolumeCopy;
        try {
          copy = await reservation.disk.store.create(
            {
              volumeId: payload.volumeId,
              copyId: payload.copyId,
              role: payload.role,
              generation: payload.generation,
              sizeBytes,
              iops: payload.iops,
            },
            this.fillFor(payload, sizeBytes),
          );
        } finally {
          reservation.release();
        }
        entry = newEntry(copy, reservation.disk, CopyPhase.Held, this.logger);
        this.entries.set(copy.copyId, entry);
      }
      await this.serve(entry, { generation: payload.generation, keys });
      return endpointOf(entry, this.options.address);
    });
  }

  /** A restored volume's new copy is filled from its snapshot before the daemon opens it (docs/snapshots.md, "Restore"). */
  private fillFor(payload: CreateCopyPayload, sizeBytes: number): ((dataPath: string) => Promise<unknown>) | undefined {
    const source = payload.restoreFrom;
    if (!source) return undefined;
    const { filler } = this.options;
    if (!filler) throw new AgentError(`this agent fills no copies from snapshots (started without a control-plane API); copy ${payload.copyId} is not created`);
    return async (dataPath) => {
      const logger = this.logger.child({ volumeId: payload.volumeId, copyId: payload.copyId, snapshotId: source.snapshotId });
      logger.info('filling the new copy from its snapshot');
      const report = await filler.fill({ snapshotId: source.snapshotId, volumeId: payload.volumeId, copyId: payload.copyId }, dataPath, sizeBytes);
      logger.info('copy filled from its snapshot', { ...report });
    };
  }

  /**
   * `resume-copy`: serve a held (or daemon-died) copy in the role and generation the control plane
   * says. A primary quiesced by a clean stop, told its mirror, keeps its clients off until that
   * mirror is in sync again (copy-modifications.ts); without the mirror the quiesce is dropped.
   */
  resumeCopy(payload: ResumeCopyPayload): Promise<CopyEndpointResult> {
    return this.exclusive(payload.copyId, 'resume a copy', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      const withMirror = payload.role === CopyRole.Primary && payload.mirror !== undefined;
      await this.serve(entry, { generation: payload.generation, role: payload.role, keys: serverKeysFor(payload), keepCleanStopQuiesce: withMirror });
      if (withMirror) await this.modifications.resumeReplication(entry, payload);
      return endpointOf(entry, this.options.address);
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
      return endpointOf(entry, this.options.address);
    });
  }

  /**
   * `open-recovery-access`: a read-only admin export of a copy held in recovery, on the copy's
   * own port, opened only by the delivered recovery key, until `expiresAt` (recovery-exports.ts).
   * A copy that serves is refused: the admin export is for held copies only.
   */
  openRecoveryAccess(payload: OpenRecoveryAccessPayload): Promise<RecoveryExportResult> {
    return this.exclusive(payload.copyId, 'open the admin export', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      if (entry.phase !== CopyPhase.Held) throw new CopyRuntimeStateError('open the admin export', `the copy is ${entry.phase}`, 'the copy is held in recovery');
      if (!payload.recoveryKey) throw new RecoveryAccessRefusedError(payload.copyId, 'no key was delivered (the access was replaced, has expired, or the recovery was decided)');
      const port = await this.daemons.portFor(entry);
      const request = { key: payload.recoveryKey, expiresAt: payload.expiresAt, port };
      // A failed attempt quits its daemon, so each retry starts clean (the control plane does not send the command again).
      const opened = await retryWithBackoff(RECONCILE_BACKOFF, () => this.recoveryExports.open(entry.copy, request), {
        isRetryable: isTransient,
        onRetry: (error, attempt, delayMs) => entry.logger.warn('opening the admin export failed; retrying', { attempt, delayMs, error: (error as Error).message }),
        signal: undefined,
      });
      return { copyId: payload.copyId, nbd: { address: this.options.address, ...opened }, readOnly: true, expiresAt: payload.expiresAt };
    });
  }

  /** True while the copy's admin export is open (diagnostics and tests). */
  recoveryExportOpen(copyId: string): boolean {
    return this.recoveryExports.isOpen(copyId);
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

  /**
   * `set-iops`: the desired limit is recorded in the copy's metadata, then reconcile gives the
   * throttle group the complete limits for it (0 = unlimited). A copy not served gets it when
   * its daemon starts (after a restart too: the metadata is on the copy's disk).
   */
  setIops(payload: SetIopsPayload): Promise<{ copyId: string; iops: number }> {
    return this.exclusive(payload.copyId, 'set the IOPS limit', async () => {
      const entry = this.require(payload.copyId, payload.volumeId);
      if (payload.generation !== undefined) assertNotStale(entry, payload.generation);
      await entry.copy.updateMetadata({ iops: payload.iops });
      await this.reconcileWithRetry(entry);
      entry.logger.info('IOPS limit set', { iops: payload.iops, applied: entry.served !== undefined });
      return { copyId: payload.copyId, iops: payload.iops };
    });
  }

  /** `quiesce-replication` (copy-modifications.ts). */
  quiesceReplication(payload: QuiesceReplicationPayload): Promise<QuiesceResult> {
    return this.modifications.quiesceReplication(payload);
  }

  /** `resize-copy` (copy-modifications.ts). */
  resizeCopy(payload: ResizeCopyPayload): Promise<ResizeResult> {
    return this.modifications.resizeCopy(payload);
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

  /** Reconciles the copy with the controller's retries; call inside its queue (copy-modifications.ts). */
  reconcileNow(entry: CopyEntry): Promise<void> {
    return this.reconcileWithRetry(entry);
  }

  /** `listener` runs (and is waited for) each time a primary's quiesce has finished. */
  onQuiesced(listener: (entry: CopyEntry) => Promise<void>): void {
    this.quiesceListeners.push(listener);
  }

  /** Runs the quiesce listeners; call inside the copy's queue. */
  async quiesced(entry: CopyEntry): Promise<void> {
    for (const listener of this.quiesceListeners) await listener(entry);
  }

  /** Adds the copy's export again after it was cut off (replica-fault-controller.ts), inside the copy's queue. */
  restoreExport(entry: CopyEntry): Promise<void> {
    return this.exclusive(entry.copyId, 'restore the export', () => this.reconcileWithRetry(entry));
  }

  /** Recomputes the copy's reported state (call inside its queue after changing it). */
  updateStatus(entry: CopyEntry): void {
    const report = reportOf(entry);
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
    return [...this.entries.values()].map((entry) => reportOf(entry));
  }

  /** The copy's row of the state file (PID, files, endpoint); undefined for an unknown copy. */
  describe(copyId: string): CopyStateRow | undefined {
    const entry = this.entries.get(copyId);
    return entry ? this.rowFor(entry) : undefined;
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
   * Stops every daemon cleanly (`quit`) and releases every lock; a served primary in sync is
   * quiesced first (clients cut off, the mirror's final sync: copy-modifications.ts), so it can
   * be resumed without a rebuild. Runs beside the queues on purpose: a command waiting for a mirror to sync must not delay the stop; it fails when its
   * daemon goes, and its result is not posted (the control plane hands the command out again).
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.recoveryExports.closeAll('the agent stops').catch((error: Error) => this.logger.error('an admin export did not close cleanly', { error: error.message }));
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        try {
          await this.modifications.quiesceForStop(entry);
        } catch (error) {
          entry.logger.error('clean stop: the primary could not be quiesced; it resumes with a full sync', { error: (error as Error).message });
        }
        try {
          await this.daemons.stop(entry);
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
  private async serve(entry: CopyEntry, desired: { generation: number; role?: CopyRole; keys: PskKey[]; keepCleanStopQuiesce?: boolean }): Promise<void> {
    const { metadata } = entry.copy;
    // A quiesce is a primary's (copy-modifications.ts): a copy made a mirror drops it, and a clean
    // stop's quiesce is dropped by any command that serves the copy, unless it resumes the mirror.
    const dropQuiesce =
      metadata.quiesced !== undefined && (desired.role === CopyRole.Mirror || (metadata.quiesced.forCleanStop === true && desired.keepCleanStopQuiesce !== true));
    if (dropQuiesce || desired.generation > metadata.generation || (desired.role !== undefined && desired.role !== metadata.role)) {
      await entry.copy.updateMetadata({
        generation: Math.max(desired.generation, metadata.generation),
        ...(desired.role ? { role: desired.role } : {}),
        ...(dropQuiesce ? { quiesced: null } : {}),
      });
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
      // A copy a command serves or deletes is no longer held: its admin export goes first.
      if (entry.phase !== CopyPhase.Held) await this.recoveryExports.close(entry.copyId, `the copy is ${entry.phase}`);
      switch (entry.phase) {
        case CopyPhase.Deleted:
          await this.daemons.stop(entry);
          await entry.copy.destroy();
          await fs.rm(this.daemons.runDirOf(entry.copyId), { recursive: true, force: true });
          if (entry.copy.metadata.nbdPort !== undefined) this.options.ports.release(entry.copy.metadata.nbdPort, entry.copyId);
          this.entries.delete(entry.copyId);
          entry.logger.info('copy deleted');
          this.writeStateFile();
          this.emit('removed', entry.copyId);
          return;
        case CopyPhase.Held:
          await this.daemons.stop(entry);
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
    if (!entry.served) await this.daemons.start(entry);
    const served = entry.served as ServedCopy;
    const runtime = served.runtime;
    if (runtime.isReadOnly) await runtime.unfence();
    if (entry.copy.metadata.role === CopyRole.Mirror && entry.replicatesOnwardTo === undefined && runtime.replicaStatus !== ReplicaStatus.Detached) {
      // A mirror replicates onward only as a chain (chain-controller.ts); any other job is a demoted primary's leftover.
      await runtime.stopMirror();
      dropReplica(entry);
    }
    await runtime.ensureIopsLimit(entry.copy.metadata.iops);
    // A quiesced primary serves no client until resize-copy ends the quiesce (copy-modifications.ts).
    const quiesced = entry.copy.metadata.role === CopyRole.Primary && entry.copy.metadata.quiesced !== undefined;
    if (quiesced) await runtime.removeExport();
    if ((await runtime.observedSizeBytes()) < entry.copy.metadata.sizeBytes) await this.grow(entry, served);
    const fingerprint = keysFingerprint(keys);
    const exportName = exportNameOf(entry);
    if (!runtime.nbdServerActive) {
      await this.daemons.startNbdServer(entry, keys);
    } else if (entry.appliedKeysFingerprint !== fingerprint) {
      // Sessions opened with the old keys must end: the export goes, then comes back below.
      await runtime.removeExport();
      await runtime.replaceClientKeys(keys);
      entry.logger.info('NBD access list replaced', { identities: keys.map((key) => key.identity) });
    } else if (runtime.hasExport && runtime.currentExportName !== exportName && !runtime.clientsCutOff) {
      await runtime.removeExport();
    }
    entry.appliedKeysFingerprint = fingerprint;
    if (quiesced || entry.fencedReason !== undefined || runtime.hasExport) return;
    const blockedForMs = (entry.exportBlockedUntil ?? 0) - Date.now();
    if (blockedForMs > 0) {
      entry.logger.info("waiting for the old primary's lease to end before serving", { waitMs: blockedForMs });
      await sleep(blockedForMs);
    }
    entry.exportBlockedUntil = undefined;
    // A mirror's export is write-through: what the primary acknowledges is on stable storage here.
    await runtime.addExport({ writable: true, name: exportName, writethrough: entry.copy.metadata.role === CopyRole.Mirror });
  }

  /** Grows the copy to its recorded size: its export goes first (QEMU cannot resize an exported node, qemu-7.2 §4). */
  private async grow(entry: CopyEntry, served: ServedCopy): Promise<void> {
    const runtime = served.runtime;
    if (entry.copy.metadata.role === CopyRole.Primary && (entry.copy.metadata.quiesced === undefined || runtime.replicaStatus !== ReplicaStatus.Detached)) {
      throw new CopyRuntimeStateError('grow the primary', `its replication is not quiesced (replica ${runtime.replicaStatus})`, 'quiesce-replication succeeded first');
    }
    await runtime.removeExport();
    await runtime.growTo(entry.copy.metadata.sizeBytes, entry.disk.type);
  }

  /** Enqueues a status refresh (events arrive outside the copy's queue). */
  private async refreshStatus(entry: CopyEntry): Promise<void> {
    if (this.stopping) return;
    await this.queue.run(entry.copyId, async () => {
      if (this.entries.get(entry.copyId) === entry) this.updateStatus(entry);
    });
  }

  // ─── helpers ────────────────────────────────────────────────────────────────────────────

  private rowFor(entry: CopyEntry): CopyStateRow {
    return rowOf(entry, this.options.address, this.daemons.runDirOf(entry.copyId));
  }

  private writeStateFile(): void {
    this.stateFile.update({
      hostId: this.options.hostId,
      agentPid: process.pid,
      copies: [...this.entries.values()].filter((entry) => entry.copy.isHeld).map((entry) => this.rowFor(entry)),
    });
  }
}

function serverKeysFor(payload: CreateCopyPayload | ResumeCopyPayload): PskKey[] {
  if (payload.role === CopyRole.Primary) return clientAccessList(payload.copyId, payload.clientKey, payload.clientKeys);
  return [payload.replicationKey];
}

function isTransient(error: unknown): boolean {
  return error instanceof QmpTimeoutError || error instanceof QmpConnectError || error instanceof QmpEventTimeoutError || error instanceof DaemonStartError;
}
