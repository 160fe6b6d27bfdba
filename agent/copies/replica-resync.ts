/**
 * Resync of a `stale` replica with the last mirror target (qemu-7.2 §9.3), from the resync bitmap
 * (resync-bitmap.ts). An incremental resync copies the bitmap with `blockdev-backup
 * sync=bitmap` passes while clients write, cuts clients off (export removed) for a last small
 * pass, and starts a `sync: none` mirror. A failure before READY, or a restarted primary daemon
 * (bitmaps of raw files live in memory only), needs a full resync (`sync: full`, clients never
 * cut off).
 */
import { CopyRuntimeStateError, MirrorSyncFailedError } from '../errors';
import { CopyExports } from './copy-exports';
import { CopyQmp } from './copy-qmp';
import { DEFAULT_READY_TIMEOUT_MS, MirrorJob } from './mirror-job';
import { MirrorOptions, MirrorTarget } from './mirror-peer';
import { ReplicaStatus } from './replica-status';
import { RESYNC_BITMAP, ResyncBitmap } from './resync-bitmap';

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

/** Passes while clients write; each pass only copies what the previous one saw written. */
const DEFAULT_RESYNC_MAX_PASSES = 3;
const DEFAULT_FINAL_PASS_MAX_BYTES = 64 * 1024 * 1024;

export class ReplicaResync {
  constructor(
    private readonly q: CopyQmp,
    private readonly exports: CopyExports,
    private readonly mirror: MirrorJob,
    private readonly bitmap: ResyncBitmap,
  ) {}

  /** True when `resync()` can copy only changed regions. */
  get canResyncIncrementally(): boolean {
    return this.mirror.replicaStatus === ReplicaStatus.Stale && this.bitmap.isValid;
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
   *   its filter node (qemu-7.2 §9.3). `clientPauseMs` says how long clients were cut off.
   * - `full`: a new `sync: full` mirror; clients are never cut off. Needed when the replica
   *   never reached READY in the failed job, or when this runtime has no valid bitmap (e.g.
   *   after a restart of the primary's daemon: bitmaps of raw files are in memory only).
   */
  async resync(options: ResyncOptions = {}): Promise<ResyncReport> {
    const last = this.mirror.peer.lastTarget;
    if (!last) throw new CopyRuntimeStateError('resync the replica', 'no mirror was ever started', 'a mirror target is known');
    const replica = this.mirror.replicaStatus;
    if (replica !== ReplicaStatus.Stale) {
      throw new CopyRuntimeStateError('resync the replica', `the replica is ${replica}`, 'the replica is stale');
    }
    const { target, options: mirrorOptions } = last;
    const mode = options.mode ?? 'auto';
    const fullReason = !this.bitmap.isValid
      ? 'no resync bitmap covers the time since the replica was last in sync'
      : mode === 'full'
        ? 'full resync requested'
        : undefined;
    if (fullReason !== undefined) {
      if (mode === 'incremental') {
        throw new CopyRuntimeStateError('resync incrementally', fullReason, 'a resync bitmap is valid');
      }
      const started = Date.now();
      await this.mirror.start(target, { ...mirrorOptions, sync: 'full' });
      return { mode: 'full', fullReason, passes: [], clientPauseMs: 0, durationMs: Date.now() - started };
    }
    return this.resyncIncrementally(target, mirrorOptions, options);
  }

  private async resyncIncrementally(target: MirrorTarget, mirrorOptions: MirrorOptions, options: ResyncOptions): Promise<ResyncReport> {
    const started = Date.now();
    const maxPasses = options.maxPasses ?? DEFAULT_RESYNC_MAX_PASSES;
    const finalPassMaxBytes = options.finalPassMaxBytes ?? DEFAULT_FINAL_PASS_MAX_BYTES;
    await this.mirror.attachPeer(target, mirrorOptions);
    this.mirror.setReplica(ReplicaStatus.Syncing, 'incremental resync started');
    const passes: ResyncPass[] = [];
    let pauseStarted: number | undefined;
    let exportToRestore: boolean | undefined;
    try {
      // Passes while clients keep writing; each leaves only the writes made during it.
      while (passes.length < maxPasses && (await this.bitmap.count()) > finalPassMaxBytes) {
        passes.push(await this.runBackupPass(false));
      }
      // Final pass with clients cut off, then a mirror from this exact state.
      exportToRestore = this.exports.writable;
      pauseStarted = Date.now();
      await this.exports.removeExport();
      passes.push(await this.runBackupPass(true));
      await this.bitmap.reset();
      await this.mirror.launch('none', mirrorOptions);
      if (exportToRestore !== undefined) await this.exports.addExport({ writable: exportToRestore });
    } catch (error) {
      this.mirror.markStale(`incremental resync failed: ${(error as Error).message}`, 'resync');
      // A failed backup pass merges its frozen bitmap back (bitmap-mode on-success), and after
      // the final pass the fresh bitmap tracks everything since: the bitmap still covers what
      // the replica misses, as long as it exists.
      this.bitmap.keepIfArmed();
      if (exportToRestore !== undefined && !this.exports.hasExport) {
        // Clients must get their volume back even though the replica stays stale.
        await this.exports.addExport({ writable: exportToRestore }).catch((restoreError: Error) =>
          this.q.logger.error('could not restore the export after a failed resync', { error: restoreError.message }),
        );
      }
      throw error;
    }
    const clientPauseMs = pauseStarted === undefined ? 0 : Date.now() - pauseStarted;
    const report: ResyncReport = { mode: 'incremental', passes, clientPauseMs, durationMs: Date.now() - started };
    this.q.logger.info('incremental resync done', { ...report });
    return report;
  }

  /** One `blockdev-backup sync=bitmap` of the resync bitmap to the peer; the bitmap keeps only writes made during it. */
  private async runBackupPass(final: boolean): Promise<ResyncPass> {
    const jobId = this.q.names.resyncJob;
    const dirtyBytes = await this.bitmap.count();
    const started = Date.now();
    const { event } = await this.q.qmp.executeAndWaitForEvent(
      'blockdev-backup',
      {
        'job-id': jobId,
        device: this.q.names.format,
        target: this.q.names.peer,
        sync: 'bitmap',
        bitmap: RESYNC_BITMAP,
        'bitmap-mode': 'on-success',
        'on-target-error': 'report',
        'on-source-error': 'report',
      },
      (candidate) => (candidate.event === 'BLOCK_JOB_COMPLETED' || candidate.event === 'BLOCK_JOB_CANCELLED') && candidate.data.device === jobId,
      { timeoutMs: this.q.timeoutMs, eventTimeoutMs: DEFAULT_READY_TIMEOUT_MS, description: `BLOCK_JOB_COMPLETED(${jobId})` },
    );
    if (event.event !== 'BLOCK_JOB_COMPLETED' || event.data.error !== undefined) {
      throw new MirrorSyncFailedError(jobId, String(event.data.error ?? event.event));
    }
    const pass: ResyncPass = { dirtyBytes, durationMs: Date.now() - started, clientsCutOff: final };
    this.q.logger.info('resync pass done', { ...pass });
    return pass;
  }
}
