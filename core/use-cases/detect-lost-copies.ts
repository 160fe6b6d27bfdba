import type { Host } from '../host';
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
    if (await loseHost(deps, host, `host ${host.hostId} stopped heartbeating (last at ${host.lastHeartbeatAt})`)) lost.push(host.hostId);
  }
  return lost;
}

/**
 * Marks `host` unreachable (unless it spoke since it was read, or another sweep did it first)
 * and starts a failover for every copy it holds; true when this call marked it.
 */
export async function loseHost(deps: Pick<DetectLostCopiesDeps, 'hosts' | 'failovers'>, host: Host, reason: string): Promise<boolean> {
  if (!(await deps.hosts.markUnreachable(host.hostId, host.lastHeartbeatAt))) return false;
  for (const reservation of await deps.hosts.reservationsOf(host.hostId)) {
    await deps.failovers.startFailover(reservation.volumeId, reservation.copyId, reason);
  }
  return true;
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
