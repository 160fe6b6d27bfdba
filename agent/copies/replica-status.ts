/**
 * Lifecycle of the replication from a primary copy to its mirror, as observed from the
 * mirror job's QMP events (QEMU 7.2 cannot be asked whether write-blocking is in effect; the
 * events are the only signal, qemu-7.2 §9.1).
 *
 *   detached ──startMirror──► syncing ──BLOCK_JOB_READY──► in-sync ──stopMirror──► stopping ──► detached
 *                               │  ▲                          │                      │
 *          job error/completed  │  │ resync                   │ BLOCK_JOB_ERROR or   │ job error
 *                               ▼  │                          ▼ COMPLETED{error}     ▼
 *                              stale ◄─────────────────────────────────────────────── stale
 *
 * `detached` (no replica) and `stale` (replica behind, writes acknowledged on the primary
 * only) are resting states the agent reports; `syncing` and `stopping` are transient;
 * `in-sync` means every acknowledged write is on the mirror. None is final: a copy can always
 * be mirrored again.
 */
import { IllegalTransitionError } from '../errors';

export const ReplicaStatus = {
  Detached: 'detached',
  Syncing: 'syncing',
  InSync: 'in-sync',
  Stale: 'stale',
  Stopping: 'stopping',
} as const;
export type ReplicaStatus = (typeof ReplicaStatus)[keyof typeof ReplicaStatus];

export function transitionReplica(from: ReplicaStatus, to: ReplicaStatus): ReplicaStatus {
  const legal = ((): readonly ReplicaStatus[] => {
    switch (from) {
      case ReplicaStatus.Detached:
        return [ReplicaStatus.Syncing];
      case ReplicaStatus.Syncing:
        return [ReplicaStatus.InSync, ReplicaStatus.Stale, ReplicaStatus.Stopping];
      case ReplicaStatus.InSync:
        return [ReplicaStatus.Stale, ReplicaStatus.Stopping];
      case ReplicaStatus.Stale:
        return [ReplicaStatus.Syncing, ReplicaStatus.Stopping];
      case ReplicaStatus.Stopping:
        return [ReplicaStatus.Detached, ReplicaStatus.Stale];
      default: {
        const unknown: never = from;
        throw new IllegalTransitionError('replica', String(unknown), to);
      }
    }
  })();
  if (!legal.includes(to)) throw new IllegalTransitionError('replica', from, to);
  return to;
}
