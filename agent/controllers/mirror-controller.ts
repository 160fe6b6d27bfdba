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
 * A replica that stops being synchronous is the replica-faults controller's
 * (replica-fault-controller.ts): it holds client writes until the control plane marks the
 * mirror out of date, and the control plane replaces the mirror with a new `start-replication`.
 */
import { createHash } from 'node:crypto';
import { StartReplicationPayload } from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { MirrorTarget, mirrorTargetOf } from '../copies/mirror-peer';
import { ReplicaStatus } from '../copies/replica-status';
import { CopyRoleMismatchError, MirrorTargetUnreachableError, StaleGenerationError } from '../errors';
import { BackoffPolicy, retryWithBackoff } from '../util/backoff';
import { CopyController } from './copy-controller';
import { requireServed } from './copy-entry';

/** Attempts to reach a mirror target, 500 ms then 1 s apart (capped at 4 s). */
export const MIRROR_START_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 4_000, maxAttempts: 3 };
/** The time allowed to reach READY: at least this … */
export const MIN_READY_TIMEOUT_MS = 120_000;
/** … or the time a full copy takes at this rate, whichever is longer. */
export const SLOWEST_SYNC_BYTES_PER_SECOND = 20 * 1024 * 1024;

export interface StartReplicationResult {
  copyId: string;
  state: 'serving';
}

export class MirrorController {
  constructor(private readonly copies: CopyController) {}

  startReplication(payload: StartReplicationPayload): Promise<StartReplicationResult> {
    return this.copies.exclusive(payload.copyId, 'start replication', () => this.startReplicationNow(payload));
  }

  private async startReplicationNow(payload: StartReplicationPayload): Promise<StartReplicationResult> {
    const entry = this.copies.require(payload.copyId, payload.volumeId);
    const { metadata } = entry.copy;
    if (payload.generation < metadata.generation) throw new StaleGenerationError(entry.copyId, payload.generation, metadata.generation);
    if (metadata.role !== CopyRole.Primary) throw new CopyRoleMismatchError(entry.copyId, 'start replication', metadata.role, CopyRole.Primary);
    const served = requireServed(entry, 'start replication');
    if (payload.generation > metadata.generation) await entry.copy.updateMetadata({ generation: payload.generation });

    const target = mirrorTargetOf(payload.mirror, payload.replicationKey);
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
    if (entry.copy.metadata.quiesced?.forCleanStop === true) {
      // A primary resumed after a clean stop whose mirror never came back: the new mirror is in sync, so clients may come.
      await entry.copy.updateMetadata({ quiesced: null });
      await this.copies.reconcileNow(entry);
    }
    this.copies.updateStatus(entry);
    return { copyId: entry.copyId, state: 'serving' };
  }
}

export function targetFingerprint(target: MirrorTarget): string {
  const address = target.address.type === 'inet' ? `${target.address.host}:${target.address.port}` : target.address.path;
  return createHash('sha256')
    .update([address, target.exportName, target.key.identity, target.key.keyHex.toLowerCase()].join('\n'))
    .digest('hex');
}
