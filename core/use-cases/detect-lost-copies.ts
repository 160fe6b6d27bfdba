import { silentHosts } from '../host-liveness';
import type { FailoverWorkflows, HostRepository } from '../ports';

export interface DetectLostCopiesDeps {
  readonly hosts: HostRepository;
  readonly failovers: FailoverWorkflows;
  readonly now: () => Date;
  readonly heartbeatTimeoutSeconds: number;
}

/**
 * Finds hosts in `location` that stopped heartbeating, marks each unreachable (once, even
 * when several sweeps race) and starts a failover for every copy it held.
 */
export async function detectSilentHosts(deps: DetectLostCopiesDeps, location: string): Promise<string[]> {
  const lost: string[] = [];
  for (const host of silentHosts(await deps.hosts.listInLocation(location), deps.now(), deps.heartbeatTimeoutSeconds)) {
    if (!(await deps.hosts.markUnreachable(host.hostId, host.lastHeartbeatAt))) continue;
    lost.push(host.hostId);
    for (const reservation of await deps.hosts.reservationsOf(host.hostId)) {
      await deps.failovers.startFailover(
        reservation.volumeId,
        reservation.copyId,
        `host ${host.hostId} stopped heartbeating (last at ${host.lastHeartbeatAt})`,
      );
    }
  }
  return lost;
}

/** What a host reported about one of its copies that makes the copy lost. */
export interface CopyLossReport {
  readonly volumeId: string;
  readonly copyId: string;
  readonly reason: string;
}

/** Starts a failover for each copy a host reports as lost (daemon died, replica stale, not trusted after restart). */
export async function reportLostCopies(failovers: FailoverWorkflows, losses: readonly CopyLossReport[]): Promise<void> {
  for (const loss of losses) await failovers.startFailover(loss.volumeId, loss.copyId, loss.reason);
}
