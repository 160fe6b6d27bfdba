/**
 * The write-blocking mirror job of a primary to its peer, and the replica status it drives.
 *
 * Mirrors always run with `filter-node-name` and `auto-dismiss: false` (the error stays
 * readable in query-jobs until dismissed). Replica health comes only from job events (§9.2):
 * `BLOCK_JOB_ERROR` and `BLOCK_JOB_COMPLETED{error}` make the replica `stale`
 * ('replica-stale' event). A write-blocking mirror never fails a client write, so staleness is
 * silent otherwise (§0.4).
 *
 * Emits on the runtime: `'replica-status'` {@link ReplicaStatusChange} on every replica
 * transition, `'replica-stale'` {@link ReplicaStaleEvent} when the mirror stops being
 * synchronous.
 */
import { EventEmitter } from 'node:events';
import { CopyRuntimeStateError, MirrorSyncFailedError, QmpCommandError } from '../errors';
import { describeNbdAddress } from '../net/nbd-address';
import { QmpEvent } from '../qmp/qmp-client';
import type { CopyExports } from './copy-exports';
import { CopyGraph } from './copy-graph';
import { CopyQmp, QueryJobsEntry, isJobEvent } from './copy-qmp';
import { MirrorOptions, MirrorPeer, MirrorTarget } from './mirror-peer';
import { ReplicaStatus, transitionReplica } from './replica-status';
import { ResyncBitmap } from './resync-bitmap';

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

export const DEFAULT_READY_TIMEOUT_MS = 120_000;
const JOB_END_TIMEOUT_MS = 60_000;

export class MirrorJob {
  private replica: ReplicaStatus = ReplicaStatus.Detached;
  private replicaReachedReady = false;
  private abandoning = false;

  constructor(
    private readonly q: CopyQmp,
    private readonly graph: CopyGraph,
    private readonly exports: CopyExports,
    readonly peer: MirrorPeer,
    private readonly bitmap: ResyncBitmap,
    private readonly events: EventEmitter,
  ) {}

  get replicaStatus(): ReplicaStatus {
    return this.replica;
  }

  /**
   * Starts a write-blocking mirror to `target` and resolves once the replica is in sync
   * (BLOCK_JOB_READY). Throws {@link MirrorSyncFailedError} if the job fails first (the replica
   * is then `stale`), {@link MirrorTargetUnreachableError} / {@link MirrorTargetSizeMismatchError}
   * if the target is not usable (the replica status is unchanged).
   */
  async start(target: MirrorTarget, options: MirrorOptions = {}): Promise<void> {
    this.graph.assertOpen('start a mirror');
    if (this.graph.isReadOnly) throw new CopyRuntimeStateError('start a mirror', 'the copy is fenced read-only', 'the copy is writable');
    if (this.replica !== ReplicaStatus.Detached && this.replica !== ReplicaStatus.Stale) {
      throw new CopyRuntimeStateError('start a mirror', `the replica is ${this.replica}`, 'the replica is detached or stale');
    }
    await this.attachPeer(target, options);
    const sync = options.sync ?? 'full';
    this.setReplica(ReplicaStatus.Syncing, `mirror to ${describeNbdAddress(target.address, target.exportName)} started (sync ${sync})`);
    await this.bitmap.reset();
    await this.launch(sync, options);
  }

  /**
   * Ends a mirror that the control plane has marked out of date (call only after that consent,
   * docs/replication-safety.md): the peer connections are cut, the job is force-cancelled,
   * which releases the writes the NBD client held (they complete on this copy alone), and the
   * peer node goes. The replica ends `detached`: the control plane replaces the mirror.
   */
  async abandon(reason: string): Promise<void> {
    if (this.replica === ReplicaStatus.Detached) {
      await this.peer.detach();
      return;
    }
    if (this.replica !== ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Stopping, `mirror abandoned: ${reason}`);
    this.abandoning = true;
    try {
      await this.peer.cutConnections().catch((error: Error) => this.q.logger.warn('could not cut the mirror connections', { error: error.message }));
      try {
        await this.q.exec('block-job-cancel', { device: this.q.names.mirrorJob, force: true });
      } catch (error) {
        // The job may have ended already (its reconnect delay ran out, or a target error).
        if (!(error instanceof QmpCommandError)) throw error;
      }
      await this.waitForJobGone();
    } finally {
      this.abandoning = false;
    }
    if (this.replica === ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Detached, `mirror abandoned: ${reason}`);
    await this.peer.detach();
    this.q.logger.warn('mirror abandoned; this copy continues alone', { reason });
  }

  /**
   * Ends replication. An in-sync mirror is soft-cancelled: QEMU does a final sync and does NOT
   * pivot, so the target is a consistent copy at this instant (§9.1). A syncing mirror is
   * force-cancelled. Then the peer node and client credentials are removed.
   */
  async stop(): Promise<void> {
    if (this.replica === ReplicaStatus.Detached) {
      await this.peer.detach();
      return;
    }
    const wasInSync = this.replica === ReplicaStatus.InSync;
    const wasSyncing = this.replica === ReplicaStatus.Syncing;
    if (this.replica !== ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Stopping, 'stop requested');
    if (wasInSync || wasSyncing) {
      try {
        await this.q.exec('block-job-cancel', { device: this.q.names.mirrorJob, force: wasSyncing });
      } catch (error) {
        // The job may have ended on its own between our check and the cancel: then it is
        // already concluding, and waitForJobGone below covers it.
        if (!(error instanceof QmpCommandError)) throw error;
        this.q.logger.warn('block-job-cancel refused', { error: error.message });
      }
    }
    await this.waitForJobGone();
    if (this.replica === ReplicaStatus.Stopping) this.setReplica(ReplicaStatus.Detached, 'mirror stopped');
    await this.peer.detach();
  }

  /** How far the mirror job is (QMP `query-jobs`: bytes done and bytes in all), if one runs. */
  async progress(): Promise<{ current: number; total: number } | undefined> {
    const job = (await this.q.exec<QueryJobsEntry[]>('query-jobs')).find((entry) => entry.id === this.q.names.mirrorJob);
    if (job?.['current-progress'] === undefined || job['total-progress'] === undefined) return undefined;
    return { current: job['current-progress'], total: job['total-progress'] };
  }

  /** Connects the peer once the previous job is gone (for a new mirror or a resync). */
  async attachPeer(target: MirrorTarget, options: MirrorOptions): Promise<void> {
    await this.waitForJobGone();
    await this.peer.attach(target, options);
  }

  /**
   * Starts the mirror job (replica already `syncing`) and waits for READY. The copy's export is
   * away while `blockdev-mirror` runs (a few milliseconds) and back on the job's filter before
   * the first pass copies anything.
   */
  async launch(sync: 'full' | 'none', options: MirrorOptions): Promise<void> {
    const jobId = this.q.names.mirrorJob;
    const afterSeq = this.q.qmp.lastEventSeq;
    this.replicaReachedReady = false;
    try {
      // No client may be connected while the job is set up (CopyExports.withoutClients).
      await this.exports.withoutClients(() => this.q.exec('blockdev-mirror', {
        'job-id': jobId,
        device: this.q.names.root,
        target: this.q.names.peer,
        sync,
        'copy-mode': 'write-blocking',
        'filter-node-name': this.q.names.mirrorFilter,
        'auto-dismiss': false,
        'auto-finalize': true,
        'on-target-error': 'report',
        'on-source-error': 'report',
        ...(options.speedBytesPerSecond !== undefined ? { speed: options.speedBytesPerSecond } : {}),
        ...(options.bufSizeBytes !== undefined ? { 'buf-size': options.bufSizeBytes } : {}),
      }));
    } catch (error) {
      this.markStale(`blockdev-mirror refused: ${(error as Error).message}`, 'blockdev-mirror');
      throw new MirrorSyncFailedError(jobId, (error as Error).message);
    }
    const outcome = await this.q.qmp.waitForEvent(
      (event) => isJobEvent(event, jobId) && ['BLOCK_JOB_READY', 'BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'].includes(event.event),
      options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      { afterSeq, description: `BLOCK_JOB_READY(${jobId})` },
    );
    if (outcome.event !== 'BLOCK_JOB_READY') {
      throw new MirrorSyncFailedError(jobId, String(outcome.data.error ?? outcome.event));
    }
    this.q.logger.info('replica in sync', { sync });
  }

  markStale(reason: string, qmpEvent: string): void {
    if (this.abandoning) return; // the end of an abandoned mirror's job is expected, not a fault
    if (this.replica !== ReplicaStatus.Syncing && this.replica !== ReplicaStatus.InSync && this.replica !== ReplicaStatus.Stopping) return;
    const stale: ReplicaStaleEvent = {
      reason,
      event: qmpEvent,
      jobId: this.q.names.mirrorJob,
      beforeReady: !this.replicaReachedReady,
      at: new Date(),
    };
    if (!this.replicaReachedReady) this.bitmap.invalidate();
    this.setReplica(ReplicaStatus.Stale, reason);
    this.q.logger.error('replica stale: writes are acknowledged on this copy only', { ...stale });
    this.events.emit('replica-stale', stale);
  }

  setReplica(next: ReplicaStatus, reason: string): void {
    const from = this.replica;
    this.replica = transitionReplica(from, next);
    const change: ReplicaStatusChange = { from, to: next, reason };
    this.q.logger.info('replica status', { ...change });
    this.events.emit('replica-status', change);
  }

  /** Hears the mirror job's events. */
  handleEvent(event: QmpEvent): void {
    const jobId = this.q.names.mirrorJob;
    if (!isJobEvent(event, jobId)) return;
    switch (event.event) {
      case 'BLOCK_JOB_READY':
        this.replicaReachedReady = true;
        // The bitmap was added before this job started: from now on it covers every write
        // the replica could miss.
        this.bitmap.onMirrorReady();
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
          void this.q.execQuietly('job-dismiss', { id: jobId });
        }
        return;
      default:
        return;
    }
  }

  /** Waits until the mirror job no longer exists, dismissing it if it concluded. */
  private async waitForJobGone(): Promise<void> {
    const jobId = this.q.names.mirrorJob;
    const afterSeq = this.q.qmp.lastEventSeq;
    const job = (await this.q.exec<QueryJobsEntry[]>('query-jobs')).find((entry) => entry.id === jobId);
    if (!job) return;
    const gone = this.q.qmp.waitForEvent(
      (event) => event.event === 'JOB_STATUS_CHANGE' && event.data.id === jobId && event.data.status === 'null',
      JOB_END_TIMEOUT_MS,
      { afterSeq, description: `JOB_STATUS_CHANGE(${jobId}, null)` },
    );
    if (job.status === 'concluded') await this.q.execQuietly('job-dismiss', { id: jobId });
    await gone;
  }
}
