/**
 * Lifecycle of one qemu-storage-daemon process as seen by the agent.
 *
 *   stopped ──start──► starting ──monitor answers──► running ──stop──► stopping ──exit──► stopped
 *                         │                             │
 *                         └──── process died ───────────┴──────────────► exited (final, unexpected)
 *
 * `stopped` is final for a clean stop and `exited` is final for an unexpected exit; a
 * `StorageDaemon` object is not restarted from either: create a new one (the running marker
 * then tells whether the previous shutdown was clean).
 */
import { IllegalTransitionError } from '../errors';

export const DaemonStatus = {
  Stopped: 'stopped',
  Starting: 'starting',
  Running: 'running',
  Stopping: 'stopping',
  Exited: 'exited',
} as const;
export type DaemonStatus = (typeof DaemonStatus)[keyof typeof DaemonStatus];

/** Returns `to` if the transition is legal, else throws {@link IllegalTransitionError}. */
export function transitionDaemon(from: DaemonStatus, to: DaemonStatus): DaemonStatus {
  const legal = ((): readonly DaemonStatus[] => {
    switch (from) {
      case DaemonStatus.Stopped:
        return [DaemonStatus.Starting];
      case DaemonStatus.Starting:
        return [DaemonStatus.Running, DaemonStatus.Exited, DaemonStatus.Stopping];
      case DaemonStatus.Running:
        return [DaemonStatus.Stopping, DaemonStatus.Exited];
      case DaemonStatus.Stopping:
        return [DaemonStatus.Stopped, DaemonStatus.Exited];
      case DaemonStatus.Exited:
        return [];
      default: {
        const unknown: never = from;
        throw new IllegalTransitionError('daemon', String(unknown), to);
      }
    }
  })();
  if (!legal.includes(to)) throw new IllegalTransitionError('daemon', from, to);
  return to;
}
