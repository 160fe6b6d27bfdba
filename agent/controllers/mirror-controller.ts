/**
 * The mirrors controller: replication of a primary copy to its mirror on another host
 * (`start-replication`). It works in the copy's queue of the copies controller, so it never
 * interleaves with another change of the same copy, and leaves the copy's reported state to
 * that controller (which hears the runtime's `replica-status` and `replica-stale` events).
 *
 * `startReplication` is idempotent: the same target with the replica in sync answers at
 * once; a different target (a replacement mirror) stops the running job first; a stale
 * replica is started again with the command's `sync`. It answers once the replica is in sync
 * (`BLOCK_JOB_READY`). A target that cannot be reached yet is tried
 * {@link MIRROR_START_BACKOFF}.maxAttempts times.
 *
 * Recovery of a stale replica: a write-blocking mirror never fails a client write when its
 * target dies; the job ends with `BLOCK_JOB_ERROR`/`BLOCK_JOB_COMPLETED{error}` and the runtime
 * turns the replica `stale`. Then, for a primary replicating after `start-replication`, this
 * controller probes the same target (nbdinfo inside the copy's namespace, as `startMirror`
 * does) every {@link RESYNC_PROBE_INTERVAL_MS} for at most {@link RESYNC_GRACE_MS}. Meanwhile the
 * copy reports `created` / `replica resyncing: <reason>` (not `replica-stale`, so the control
 * plane does not replace the mirror yet). When the target answers, `resyncReplica` runs in the
 * copy's queue (incremental from the resync bitmap when `canResyncIncrementally`, else full)
 * and the copy is `serving` again. When the grace period passes, or the resync fails, the copy
 * reports `replica-stale` with the reason and the control plane replaces the mirror. A
 * `start-replication`, `promote-copy` or `delete-copy` for the copy cancels the recovery.
 *
 * Events: `'replica-resynced'` `{copyId, report: ResyncReport}`, `'replica-recovery-failed'`
 * `{copyId, reason}`.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { StartReplicationPayload } from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { MirrorTarget, ReplicaStaleEvent, ResyncReport } from '../copies/copy-runtime';
import { ReplicaStatus } from '../copies/replica-status';
import { CopyNotServingError, CopyRoleMismatchError, MirrorTargetUnreachableError, StaleGenerationError } from '../errors';
import { BackoffPolicy, retryWithBackoff } from '../util/backoff';
import { CopyController, CopyEntry, ReplicaRecovery } from './copy-controller';
import { CopyPhase } from './copy-state';

/** Attempts to reach a mirror target, 500 ms then 1 s apart (capped at 4 s). */
export const MIRROR_START_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 4_000, maxAttempts: 3 };
/** The time allowed to reach READY: at least this … */
export const MIN_READY_TIMEOUT_MS = 120_000;
/** … or the time a full copy takes at this rate, whichever is longer. */
export const SLOWEST_SYNC_BYTES_PER_SECOND = 20 * 1024 * 1024;

/** How long a stale replica's target may take to come back before the copy reports `replica-stale`. */
export const RESYNC_GRACE_MS = 10_000;
/** Probes of the stale replica's target, this far apart. */
export const RESYNC_PROBE_INTERVAL_MS = 1_000;
/** Timeout of one probe (capped by the grace period left). */
const RESYNC_PROBE_TIMEOUT_MS = 5_000;

export interface MirrorControllerOptions {
  /** @default {@link RESYNC_GRACE_MS} */
  resyncGraceMs?: number;
  /** @default {@link RESYNC_PROBE_INTERVAL_MS} */
  resyncProbeIntervalMs?: number;
}

export interface ReplicaResyncedEvent {
  copyId: string;
  report: ResyncReport;
}

export interface StartReplicationResult {
  copyId: string;
  state: 'serving';
}

export class MirrorController extends EventEmitter {
  private readonly graceMs: number;
  private readonly probeIntervalMs: number;
  /** Copies whose start-replication runs: a replica turning stale then is that command's failure, not a recovery's. */
  private readonly starting = new Map<string, number>();

  constructor(
    private readonly copies: CopyController,
    options: MirrorControllerOptions = {},
  ) {
    super();
    this.graceMs = options.resyncGraceMs ?? RESYNC_GRACE_MS;
    this.probeIntervalMs = options.resyncProbeIntervalMs ?? RESYNC_PROBE_INTERVAL_MS;
    copies.on('replica-stale', (entry: CopyEntry, event: ReplicaStaleEvent) => this.onReplicaStale(entry, event));
  }

  startReplication(payload: StartReplicationPayload): Promise<StartReplicationResult> {
    this.copies.cancelReplicaRecovery(payload.copyId, 'start-replication');
    this.starting.set(payload.copyId, (this.starting.get(payload.copyId) ?? 0) + 1);
    return this.copies
      .exclusive(payload.copyId, 'start replication', () => this.startReplicationNow(payload))
      .finally(() => {
        const left = (this.starting.get(payload.copyId) ?? 1) - 1;
        if (left > 0) this.starting.set(payload.copyId, left);
        else this.starting.delete(payload.copyId);
      });
  }

  private async startReplicationNow(payload: StartReplicationPayload): Promise<StartReplicationResult> {
    const entry = this.copies.require(payload.copyId, payload.volumeId);
    const { metadata } = entry.copy;
    if (payload.generation < metadata.generation) throw new StaleGenerationError(entry.copyId, payload.generation, metadata.generation);
    if (metadata.role !== CopyRole.Primary) throw new CopyRoleMismatchError(entry.copyId, 'start replication', metadata.role, CopyRole.Primary);
    const served = entry.served;
    if (entry.phase !== CopyPhase.Served || !served) {
      throw new CopyNotServingError(entry.copyId, 'start replication', entry.daemonExit ? 'daemon-died' : entry.phase === CopyPhase.Held ? 'held' : 'not served');
    }
    if (payload.generation > metadata.generation) await entry.copy.updateMetadata({ generation: payload.generation });

    const target: MirrorTarget = {
      address: { type: 'inet', host: payload.mirror.address, port: payload.mirror.port },
      exportName: payload.mirror.exportName,
      key: payload.replicationKey,
    };
    const fingerprint = targetFingerprint(target);
    const runtime = served.runtime;
    const logger = entry.logger.child({ mirrorHostId: payload.mirror.hostId, mirrorCopyId: payload.mirror.copyId });
    if (entry.replica.targetFingerprint === fingerprint && runtime.replicaStatus === ReplicaStatus.InSync) {
      logger.info('replication already in sync with this mirror');
      return { copyId: entry.copyId, state: 'serving' };
    }
    if (runtime.replicaStatus === ReplicaStatus.InSync || runtime.replicaStatus === ReplicaStatus.Syncing) {
      logger.info('replacing the mirror target', { replica: runtime.replicaStatus });
      await runtime.stopMirror();
    }
    entry.replica = { targetFingerprint: fingerprint };
    const readyTimeoutMs = Math.max(MIN_READY_TIMEOUT_MS, Math.ceil((metadata.sizeBytes / SLOWEST_SYNC_BYTES_PER_SECOND) * 1000));
    const started = Date.now();
    await retryWithBackoff(MIRROR_START_BACKOFF, () => runtime.startMirror(target, { sync: payload.sync, readyTimeoutMs }), {
      isRetryable: (error) => error instanceof MirrorTargetUnreachableError && entry.served === served,
      onRetry: (error, attempt, delayMs) => logger.warn('mirror target not reachable yet; retrying', { attempt, delayMs, error: (error as Error).message }),
    });
    logger.info('replication in sync', { sync: payload.sync, durationMs: Date.now() - started });
    this.copies.updateStatus(entry);
    return { copyId: entry.copyId, state: 'serving' };
  }

  // ─── recovery of a stale replica ────────────────────────────────────────────────────────

  /** Called synchronously on the runtime's 'replica-stale' event (before the copy's state is recomputed). */
  private onReplicaStale(entry: CopyEntry, event: ReplicaStaleEvent): void {
    if (this.starting.has(entry.copyId)) return; // the running start-replication reports it
    if (entry.replica.recovery) return; // a recovery runs (its own resync failed): it decides
    const served = entry.served;
    if (!served || entry.replica.targetFingerprint === undefined) return;
    const recovery: ReplicaRecovery = { reason: event.reason, startedAt: Date.now(), abort: new AbortController() };
    entry.replica.recovery = recovery;
    void this.recover(entry, served, recovery).catch((error: Error) =>
      entry.logger.error('replica recovery ended with an unexpected error', { error: error.message }),
    );
  }

  private async recover(entry: CopyEntry, served: NonNullable<CopyEntry['served']>, recovery: ReplicaRecovery): Promise<void> {
    const logger = entry.logger.child({ recovery: 'replica' });
    const runtime = served.runtime;
    const signal = recovery.abort.signal;
    const deadline = recovery.startedAt + this.graceMs;
    const current = () => !signal.aborted && entry.served === served && entry.replica.recovery === recovery;
    logger.warn('replica stale; probing the mirror target before reporting it', { reason: recovery.reason, graceMs: this.graceMs, probeIntervalMs: this.probeIntervalMs });
    let lastProbeError = 'not probed';
    for (let attempt = 1; ; attempt++) {
      if (!current()) return this.endCancelled(entry, recovery, logger);
      const left = deadline - Date.now();
      let reachable = false;
      try {
        await runtime.probeLastTarget(Math.max(500, Math.min(RESYNC_PROBE_TIMEOUT_MS, left)));
        reachable = true;
      } catch (error) {
        lastProbeError = (error as Error).message;
        logger.info('mirror target not back yet', { attempt, msLeft: Math.max(0, deadline - Date.now()), error: lastProbeError });
      }
      if (!current()) return this.endCancelled(entry, recovery, logger);
      if (reachable) {
        logger.info('mirror target answers again; resyncing the replica', { attempt, staleForMs: Date.now() - recovery.startedAt });
        await this.resync(entry, served, recovery, logger);
        return;
      }
      const wait = Math.min(this.probeIntervalMs, deadline - Date.now());
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
    await this.giveUp(entry, recovery, `${recovery.reason}; the mirror target did not come back within ${this.graceMs} ms (${lastProbeError})`, logger);
  }

  /** Runs the resync in the copy's queue; the copy ends `serving` or `replica-stale`. */
  private async resync(entry: CopyEntry, served: NonNullable<CopyEntry['served']>, recovery: ReplicaRecovery, logger: CopyEntry['logger']): Promise<void> {
    const runtime = served.runtime;
    try {
      await this.copies.exclusive(entry.copyId, 'resync the replica', async () => {
        if (recovery.abort.signal.aborted || entry.served !== served || entry.replica.recovery !== recovery) {
          if (entry.replica.recovery === recovery) entry.replica.recovery = undefined;
          logger.info('replica recovery cancelled before its resync');
          this.copies.updateStatus(entry);
          return;
        }
        if (runtime.replicaStatus !== ReplicaStatus.Stale) {
          entry.replica.recovery = undefined;
          logger.info('replica no longer stale; nothing to resync', { replica: runtime.replicaStatus });
          this.copies.updateStatus(entry);
          return;
        }
        const incremental = runtime.canResyncIncrementally;
        logger.info('resync started', { mode: incremental ? 'incremental' : 'full' });
        try {
          const report = await runtime.resyncReplica({ mode: 'auto' });
          entry.replica.recovery = undefined;
          entry.replica.staleReason = undefined;
          const copiedBytes = report.passes.reduce((sum, pass) => sum + pass.dirtyBytes, 0);
          logger.info('replica resynced; in sync again', {
            mode: report.mode,
            ...(report.fullReason ? { fullReason: report.fullReason } : {}),
            copiedBytes: report.mode === 'incremental' ? copiedBytes : entry.copy.metadata.sizeBytes,
            passes: report.passes.length,
            clientPauseMs: report.clientPauseMs,
            durationMs: report.durationMs,
            staleForMs: Date.now() - recovery.startedAt,
          });
          this.copies.updateStatus(entry);
          this.emit('replica-resynced', { copyId: entry.copyId, report } satisfies ReplicaResyncedEvent);
        } catch (error) {
          const reason = `${recovery.reason}; resync failed: ${(error as Error).message}`;
          entry.replica.staleReason = reason;
          entry.replica.recovery = undefined;
          logger.error('replica resync failed; the replica is stale', { reason });
          this.copies.updateStatus(entry);
          this.emit('replica-recovery-failed', { copyId: entry.copyId, reason });
        }
      });
    } catch (error) {
      // The queue refused (the agent stops): nothing more to do for this copy.
      logger.warn('replica resync not run', { error: (error as Error).message });
    }
  }

  private async giveUp(entry: CopyEntry, recovery: ReplicaRecovery, reason: string, logger: CopyEntry['logger']): Promise<void> {
    await this.copies
      .exclusive(entry.copyId, 'end the replica recovery', async () => {
        if (entry.replica.recovery !== recovery) return;
        entry.replica.recovery = undefined;
        if (recovery.abort.signal.aborted) {
          this.copies.updateStatus(entry);
          return;
        }
        entry.replica.staleReason = reason;
        logger.error('replica recovery gave up; the replica is stale', { reason });
        this.copies.updateStatus(entry);
        this.emit('replica-recovery-failed', { copyId: entry.copyId, reason });
      })
      .catch((error: Error) => logger.warn('replica recovery not ended cleanly', { error: error.message }));
  }

  /** A command took over (or the daemon went): the record goes once the queue is free, the command's state wins. */
  private async endCancelled(entry: CopyEntry, recovery: ReplicaRecovery, logger: CopyEntry['logger']): Promise<void> {
    logger.info('replica recovery stopped', { aborted: recovery.abort.signal.aborted });
    await this.copies
      .exclusive(entry.copyId, 'end the replica recovery', async () => {
        if (entry.replica.recovery !== recovery) return;
        entry.replica.recovery = undefined;
        this.copies.updateStatus(entry);
      })
      .catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function targetFingerprint(target: MirrorTarget): string {
  const address = target.address.type === 'inet' ? `${target.address.host}:${target.address.port}` : target.address.path;
  return createHash('sha256')
    .update([address, target.exportName, target.key.identity, target.key.keyHex.toLowerCase()].join('\n'))
    .digest('hex');
}
