import type { HeartbeatRequest } from '../host-requests';
import type { FailoverWorkflows, HostRepository, VolumeRepository } from '../ports';
import { authorizeHost } from './authorize-host';
import { copyLossesIn } from './copy-losses';
import { detectSilentHosts, reportLostCopies } from './detect-lost-copies';
import { diskTotalsOf } from '../disk-totals';
import type { VolumeType } from '../volume';

export interface RecordHeartbeatDeps {
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly failovers: FailoverWorkflows;
  readonly now: () => Date;
  readonly heartbeatTimeoutSeconds: number;
}

/**
 * Records that the host is alive, starts fail-overs for copies it reports lost, and (the
 * heartbeats of the living are the fleet's clock) looks for hosts in its location that went silent.
 */
export async function recordHeartbeat(deps: RecordHeartbeatDeps, principalArn: string, hostId: string, heartbeat: HeartbeatRequest) {
  const host = await authorizeHost(deps.hosts, principalArn, hostId);
  const at = deps.now().toISOString();
  const totals = heartbeat.disks ? diskTotalsOf(heartbeat.disks, Object.keys(host.capacity) as VolumeType[]) : undefined;
  await deps.hosts.recordHeartbeat(hostId, at, heartbeat.health, totals);
  const { losses } = await copyLossesIn(deps.volumes, hostId, heartbeat.copies ?? [], false);
  await reportLostCopies(deps.failovers, losses);
  const silentHosts = await detectSilentHosts(deps, host.location);
  return { hostId, receivedAt: at, lostCopies: losses.map((loss) => loss.copyId), silentHosts };
}
