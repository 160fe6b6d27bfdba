/**
 * In-place modifications of a copy (issue 8), in the copy's queue of the copies controller:
 * `quiesce-replication` on a primary and `resize-copy` (mirror first, then the quiesced
 * primary), the replicated resize of qemu-7.2 §4. Each command records what it wants in the
 * copy's metadata first (desired state, kept across a restart) and lets reconcile apply it:
 * a quiesced primary has no client export; a copy whose QEMU size is below its recorded size
 * is grown once nothing is exported from it.
 *
 * quiesce-replication (primary, replica in sync):
 *   1. record `quiesced` (generation, the mirror's endpoint; `mirrorIdentical: false`);
 *   2. reconcile removes the client export (`mode: hard`: in-flight requests drain, each one
 *      on both copies: the mirror is write-blocking);
 *   3. soft cancel of the READY mirror: QEMU's final sync, no pivot: the mirror is identical;
 *      the replica is `detached`, so nothing probes it any more;
 *   4. record `mirrorIdentical: true`; the quiesce listeners run (the replica-faults controller
 *      stops watching and the lease is released before the answer, so the lease guard never
 *      ends this daemon while the mirror's export is away for its resize).
 *   Again on a quiesced copy: the same answer, nothing done twice.
 *
 * resize-copy, mirror: record the size; reconcile removes the export (no client: the primary
 * is quiesced), grows the copy (copy-size.ts) and adds the export again under the same name.
 *
 * resize-copy, primary (must be quiesced): record the size; reconcile grows the copy (no
 * export while quiesced); a write-blocking mirror to the mirror's export starts again with
 * `sync: none` when the mirror was identical at the quiesce (else `full`) and answers at READY;
 * `quiesced` is cleared and reconcile adds the client export on the job's filter node.
 * Again after it finished: the same answer.
 *
 * A restart between quiesce and resize (the agent killed; its daemons with it): the copy is
 * found held, with `quiesced` and the size in its metadata. `resume-copy` serves it quiesced
 * (daemon up, NBD server up, no client export, no mirror), reported `created` with the detail
 * `replication quiesced for a modification`. `resize-copy` then finishes as above; the restarted
 * daemon has no mirror target in memory, so the target comes from the record (or the command's
 * `mirror`) and the key from the command's `replicationKey` (added at delivery for a primary).
 *
 * A clean stop of the agent quiesces every served primary whose replica is in sync the same way
 * (`forCleanStop`, without the listeners: the agent is stopping), before its daemon quits; so the
 * copy comes back with clients held and proof that its mirror was identical when it stopped.
 * `resume-copy` with the mirror then ends it like resize-copy does: the mirror again (`sync: none`
 * with that proof for the same export, else `full`; retried while the mirror's own agent comes
 * back), then the client export (docs/recovery.md, "Clean restart").
 */
import { QuiesceReplicationPayload, ResizeCopyPayload, ResumeCopyPayload } from '../commands/command-schemas';
import { QuiesceRecord } from '../copies/copy-metadata';
import { CopyRole } from '../copies/copy-role';
import { MirrorTarget, mirrorTargetOf } from '../copies/mirror-peer';
import { ReplicaStatus } from '../copies/replica-status';
import { ServedCopy } from '../copies/served-copy';
import { GiB } from '../devices/managed-disk';
import { CopyRoleMismatchError, CopyRuntimeStateError, MirrorSyncFailedError, MirrorTargetUnreachableError, ShrinkRefusedError } from '../errors';
import { BackoffPolicy, retryWithBackoff } from '../util/backoff';
import { CopyEntry, assertNotStale, requireServed } from './copy-entry';
import { MIN_READY_TIMEOUT_MS, MIRROR_START_BACKOFF, SLOWEST_SYNC_BYTES_PER_SECOND, targetFingerprint } from './mirror-controller';

/**
 * How long a primary resumed after a clean stop tries to reach its mirror, whose own agent may
 * still be starting: 25 attempts, 500 ms doubling to 4 s apart (about 90 s, longer than a host
 * may stay silent before the control plane fails it over).
 */
export const MIRROR_RETURN_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 4_000, maxAttempts: 25 };
/** How long a clean stop waits for a primary's final sync to its mirror before it stops without that proof. */
export const STOP_FINAL_SYNC_MS = 10_000;

/** The copies controller as the modifications use it (inside the copy's queue). */
export interface ModifiableCopies {
  exclusive<T>(copyId: string, operation: string, work: () => Promise<T>): Promise<T>;
  require(copyId: string, volumeId: string): CopyEntry;
  /** Reconciles the copy (with the controller's retries); call inside its queue. */
  reconcileNow(entry: CopyEntry): Promise<void>;
  updateStatus(entry: CopyEntry): void;
  /** Runs the quiesce listeners (the replica-faults controller) and waits for them. */
  quiesced(entry: CopyEntry): Promise<void>;
}

export interface QuiesceResult {
  copyId: string;
  quiesced: true;
  /** False when the final sync could not be confirmed (a restart in between): the resize then copies in full. */
  mirrorIdentical: boolean;
}

export interface ResizeResult {
  copyId: string;
  sizeGiB: number;
}

export class CopyModifications {
  constructor(private readonly copies: ModifiableCopies) {}

  quiesceReplication(payload: QuiesceReplicationPayload): Promise<QuiesceResult> {
    return this.copies.exclusive(payload.copyId, 'quiesce replication', async () => {
      const entry = this.copies.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      const served = servedPrimary(entry, 'quiesce replication');
      const runtime = served.runtime;
      let record = entry.copy.metadata.quiesced;
      if (record === undefined) {
        if (runtime.replicaStatus !== ReplicaStatus.InSync) {
          throw new CopyRuntimeStateError('quiesce replication', `the replica is ${runtime.replicaStatus}`, 'the replica is in sync');
        }
        record = { generation: payload.generation, ...mirrorEndpointOf(runtime.lastMirrorTarget), mirrorIdentical: false, at: new Date().toISOString() };
        await entry.copy.updateMetadata({ quiesced: record });
        entry.logger.info('replication quiescing: clients are cut off, the mirror gets its final sync', { generation: payload.generation });
      }
      await this.copies.reconcileNow(entry);
      if (!record.mirrorIdentical && runtime.replicaStatus === ReplicaStatus.InSync) {
        await runtime.stopMirror();
        const after = runtime.replicaStatus as ReplicaStatus;
        if (after !== ReplicaStatus.Detached) {
          throw new MirrorSyncFailedError(entry.copy.metadata.nodeNames.mirrorJob, `the final sync did not end cleanly (replica ${after})`);
        }
        record = { ...record, mirrorIdentical: true };
        await entry.copy.updateMetadata({ quiesced: record });
        entry.replica = { staleReason: 'replication quiesced for a modification' };
        entry.logger.info('replication quiesced: the mirror is identical');
      }
      await this.copies.quiesced(entry);
      this.copies.updateStatus(entry);
      return { copyId: entry.copyId, quiesced: true, mirrorIdentical: record.mirrorIdentical };
    });
  }

  resizeCopy(payload: ResizeCopyPayload): Promise<ResizeResult> {
    return this.copies.exclusive(payload.copyId, 'resize the copy', async () => {
      const entry = this.copies.require(payload.copyId, payload.volumeId);
      assertNotStale(entry, payload.generation);
      const served = requireServed(entry, 'resize the copy');
      const wantedBytes = payload.sizeGiB * GiB;
      const { metadata } = entry.copy;
      if (wantedBytes < metadata.sizeBytes) throw new ShrinkRefusedError(entry.copyId, wantedBytes, metadata.sizeBytes);
      const result = { copyId: entry.copyId, sizeGiB: payload.sizeGiB };
      if (metadata.role === CopyRole.Mirror) {
        await this.grow(entry, wantedBytes);
        return result;
      }
      const record = metadata.quiesced;
      if (record === undefined) {
        // Done before (a repeated command), or never quiesced: the latter is refused.
        if (wantedBytes === metadata.sizeBytes && (await served.runtime.observedSizeBytes()) === wantedBytes) return result;
        throw new CopyRuntimeStateError('resize the primary', 'its replication is not quiesced', 'quiesce-replication succeeded first');
      }
      await this.grow(entry, wantedBytes);
      await this.replicateAgain(entry, served, record, payload);
      await entry.copy.updateMetadata({ quiesced: null });
      entry.replica = {};
      await this.copies.reconcileNow(entry);
      entry.logger.info('primary resized; clients may connect again', { sizeBytes: wantedBytes });
      this.copies.updateStatus(entry);
      return result;
    });
  }

  /**
   * A clean stop's quiesce of a served primary whose replica is in sync (outside the copy's queue:
   * the agent is stopping): the client export goes, then the final sync; `mirrorIdentical` is
   * recorded only when that sync ended cleanly within {@link STOP_FINAL_SYNC_MS}.
   */
  async quiesceForStop(entry: CopyEntry): Promise<void> {
    const runtime = entry.served?.runtime;
    const { metadata } = entry.copy;
    if (!runtime || metadata.role !== CopyRole.Primary || metadata.quiesced !== undefined || runtime.replicaStatus !== ReplicaStatus.InSync) return;
    let record: QuiesceRecord = { generation: metadata.generation, ...mirrorEndpointOf(runtime.lastMirrorTarget), mirrorIdentical: false, forCleanStop: true, at: new Date().toISOString() };
    await entry.copy.updateMetadata({ quiesced: record });
    await runtime.removeExport();
    const synced = await Promise.race([runtime.stopMirror().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_FINAL_SYNC_MS).unref())]);
    if (!synced || (runtime.replicaStatus as ReplicaStatus) !== ReplicaStatus.Detached) {
      entry.logger.warn('clean stop: the final sync to the mirror did not end cleanly; the copy resumes with a full sync', { replica: runtime.replicaStatus });
      return;
    }
    record = { ...record, mirrorIdentical: true };
    await entry.copy.updateMetadata({ quiesced: record });
    entry.logger.info('clean stop: clients cut off, the mirror is identical');
  }

  /**
   * `resume-copy` with the mirror, on a primary quiesced by a clean stop and served again (inside
   * the copy's queue): the write-blocking mirror to the command's mirror, then the client export.
   */
  async resumeReplication(entry: CopyEntry, payload: ResumeCopyPayload): Promise<void> {
    const record = entry.copy.metadata.quiesced;
    const mirror = payload.mirror;
    if (record?.forCleanStop !== true || !mirror) return;
    const served = requireServed(entry, 'resume replication');
    const runtime = served.runtime;
    const target = mirrorTargetOf(mirror, payload.replicationKey);
    const sameMirror = record.mirror?.address === mirror.address && record.mirror.port === mirror.port && record.mirror.exportName === mirror.exportName;
    const sync = record.mirrorIdentical && sameMirror && record.generation === payload.generation ? 'none' : 'full';
    const readyTimeoutMs = Math.max(MIN_READY_TIMEOUT_MS, Math.ceil((entry.copy.metadata.sizeBytes / SLOWEST_SYNC_BYTES_PER_SECOND) * 1000));
    if (runtime.replicaStatus !== ReplicaStatus.InSync) {
      await retryWithBackoff(MIRROR_RETURN_BACKOFF, () => runtime.startMirror(target, { sync, readyTimeoutMs }), {
        isRetryable: (error) => error instanceof MirrorTargetUnreachableError && entry.served === served,
        onRetry: (error, attempt, delayMs) => entry.logger.warn('mirror not back yet after the clean restart; retrying', { attempt, delayMs, error: (error as Error).message }),
      });
    }
    entry.replica = { targetFingerprint: targetFingerprint(target) };
    await entry.copy.updateMetadata({ quiesced: null });
    await this.copies.reconcileNow(entry);
    entry.logger.info('resumed after a clean stop: the mirror is in sync, clients may connect', { sync });
    this.copies.updateStatus(entry);
  }

  /** Records the size (grow only), then reconcile grows the copy once nothing is exported. */
  private async grow(entry: CopyEntry, wantedBytes: number): Promise<void> {
    if (wantedBytes > entry.copy.metadata.sizeBytes) {
      await entry.copy.updateMetadata({ sizeBytes: wantedBytes });
      entry.logger.info('copy to grow', { sizeBytes: wantedBytes });
    }
    await this.copies.reconcileNow(entry);
  }

  /** The write-blocking mirror again, to the (resized) mirror; answers at READY. */
  private async replicateAgain(entry: CopyEntry, served: ServedCopy, record: QuiesceRecord, payload: ResizeCopyPayload): Promise<void> {
    const runtime = served.runtime;
    if (runtime.replicaStatus === ReplicaStatus.InSync) return;
    const target = this.targetFor(runtime.lastMirrorTarget, record, payload);
    const sync = record.mirrorIdentical ? 'none' : 'full';
    const readyTimeoutMs = Math.max(MIN_READY_TIMEOUT_MS, Math.ceil((entry.copy.metadata.sizeBytes / SLOWEST_SYNC_BYTES_PER_SECOND) * 1000));
    await retryWithBackoff(MIRROR_START_BACKOFF, () => runtime.startMirror(target, { sync, readyTimeoutMs }), {
      isRetryable: (error) => error instanceof MirrorTargetUnreachableError && entry.served === served,
      onRetry: (error, attempt, delayMs) => entry.logger.warn('mirror not reachable yet after the resize; retrying', { attempt, delayMs, error: (error as Error).message }),
    });
    entry.logger.info('replication in sync again after the resize', { sync });
  }

  private targetFor(remembered: MirrorTarget | undefined, record: QuiesceRecord, payload: ResizeCopyPayload): MirrorTarget {
    const key = payload.replicationKey ?? remembered?.key;
    if (!key) {
      throw new CopyRuntimeStateError('replicate again after the resize', 'no replication key is known (the agent restarted) and the command carries none', 'resize-copy carries replicationKey');
    }
    if (payload.mirror) return mirrorTargetOf(payload.mirror, key);
    if (record.mirror) return mirrorTargetOf(record.mirror, key);
    if (remembered) return { ...remembered, key };
    throw new CopyRuntimeStateError('replicate again after the resize', 'the mirror\'s endpoint is unknown', 'resize-copy carries mirror');
  }
}

/** True for a primary whose quiesce finished: its missing mirror is intended, not a fault. */
export function isQuiesced(entry: CopyEntry): boolean {
  return entry.copy.metadata.quiesced?.mirrorIdentical === true;
}

function servedPrimary(entry: CopyEntry, operation: string): ServedCopy {
  const { role } = entry.copy.metadata;
  if (role !== CopyRole.Primary) throw new CopyRoleMismatchError(entry.copyId, operation, role, CopyRole.Primary);
  return requireServed(entry, operation);
}

function mirrorEndpointOf(target: MirrorTarget | undefined): Pick<QuiesceRecord, 'mirror'> {
  if (target?.address.type !== 'inet') return {};
  return { mirror: { address: target.address.host, port: target.address.port, exportName: target.exportName } };
}
