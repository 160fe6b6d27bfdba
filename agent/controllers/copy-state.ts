/**
 * What the agent wants for a copy (its phase, desired state) and what it reports about it
 * (its state, observed), kept apart as the house style asks.
 *
 * Phase (desired), set by commands:
 *
 *     held ──resume/create/promote──► served ──delete──► deleted (final)
 *       └───────────────delete──────────────────────────────┘
 *
 * - `held`: opened and locked, no daemon (every copy found at start, until the control plane
 *   says `resume-copy` or `delete-copy`);
 * - `served`: its own qemu-storage-daemon exports it with the keys of its role;
 * - `deleted`: daemon stopped, files gone, lock released (final).
 *
 * Reported state (observed), one of the contract's `CopyReport.state` values:
 * - `held`         phase held;
 * - `daemon-died`  phase served, but its daemon exited without being asked (not restarted by
 *                  the agent: only a command serves it again);
 * - `created`      phase served, but not (yet) doing its whole job: a primary without an
 *                  in-sync mirror, or a copy whose serving failed (the detail says why;
 *                  `replica resyncing: <reason>` while the mirror controller's recovery of a
 *                  stale replica runs, see mirror-controller.ts);
 * - `serving`      a primary whose export is up and whose replica is in sync;
 * - `replica-stale` a primary whose mirror stopped being synchronous and was not brought back
 *                  within the grace period (detail: the reason);
 * - `mirroring`    a mirror whose export (replication key only) is up.
 */
import { IllegalTransitionError } from '../errors';
import { CopyRole } from '../copies/copy-role';

export const CopyPhase = { Held: 'held', Served: 'served', Deleted: 'deleted' } as const;
export type CopyPhase = (typeof CopyPhase)[keyof typeof CopyPhase];
export const FINAL_COPY_PHASES: readonly CopyPhase[] = [CopyPhase.Deleted];

/** Returns `to` if the phase change is legal, else throws {@link IllegalTransitionError}. */
export function transitionPhase(from: CopyPhase, to: CopyPhase): CopyPhase {
  const legal = ((): readonly CopyPhase[] => {
    switch (from) {
      case CopyPhase.Held:
        return [CopyPhase.Held, CopyPhase.Served, CopyPhase.Deleted];
      case CopyPhase.Served:
        return [CopyPhase.Served, CopyPhase.Deleted];
      case CopyPhase.Deleted:
        return [];
      default: {
        const unknown: never = from;
        throw new IllegalTransitionError('copy phase', String(unknown), to);
      }
    }
  })();
  if (!legal.includes(to)) throw new IllegalTransitionError('copy phase', from, to);
  return to;
}

export const CopyState = {
  Created: 'created',
  Serving: 'serving',
  ReplicaStale: 'replica-stale',
  Mirroring: 'mirroring',
  Held: 'held',
  DaemonDied: 'daemon-died',
} as const;
export type CopyState = (typeof CopyState)[keyof typeof CopyState];

/** One copy as the registration and the heartbeat report it (`CopyReport` in the contract). */
export interface CopyReport {
  volumeId: string;
  copyId: string;
  role: CopyRole;
  generation: number;
  state: CopyState;
  detail?: string;
  /** A held copy found after a clean stop of the agent (docs/recovery.md, "Clean restart"). */
  stoppedCleanly?: true;
}

/** The control plane accepts details up to this length. */
export const MAX_DETAIL_LENGTH = 1024;
