import type { Host } from '../host';
import type { FailoverWorkflows, HostRepository, VolumeRepository } from '../ports';

/** What a host reported about one of its copies that makes the copy lost. */
export interface CopyLossReport {
  readonly volumeId: string;
  readonly copyId: string;
  readonly reason: string;
  /** The volume's version when the loss was judged: the fail-over of this judgement runs once. */
  readonly volumeVersion: number;
}

/** Starts a failover for each copy a host reports as lost (daemon died, replica stale, not trusted after restart). */
export async function reportLostCopies(failovers: FailoverWorkflows, losses: readonly CopyLossReport[]): Promise<void> {
  for (const loss of losses) await failovers.startFailover(loss.volumeId, loss.copyId, loss.reason, loss.volumeVersion);
}

/**
 * Gives up `host` (a retired host id): starts a failover for every copy its volumes still count
 * on it for, then marks it unreachable (unless it spoke since it was read); true when this call
 * marked it. Fail-overs come first, so a call cut off in between is redone in full.
 */
export async function loseHost(
  deps: { readonly hosts: HostRepository; readonly volumes: VolumeRepository; readonly failovers: FailoverWorkflows },
  host: Host,
  reason: string,
): Promise<boolean> {
  for (const reservation of await deps.hosts.reservationsOf(host.hostId)) {
    const volume = await deps.volumes.get(reservation.volumeId);
    if (!volume?.copies.some((copy) => copy.copyId === reservation.copyId)) continue;
    await deps.failovers.startFailover(reservation.volumeId, reservation.copyId, reason, volume.version);
  }
  return deps.hosts.markUnreachable(host.hostId, host.lastHeartbeatAt);
}
