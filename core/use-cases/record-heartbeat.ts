import { registeredDisksOf } from '../disk-records';
import { diskTotalsOf } from '../disk-totals';
import type { HeartbeatRequest } from '../host-requests';
import type { FailoverWorkflows, HostRepository, VolumeRepository } from '../ports';
import type { VolumeType } from '../volume';
import { authorizeHost } from './authorize-host';
import { copyLossesIn } from './copy-losses';
import { reportLostCopies } from './detect-lost-copies';

export interface RecordHeartbeatDeps {
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly failovers: FailoverWorkflows;
  readonly now: () => Date;
}

/**
 * Records that the host is alive (never conditional on the host's version, so a placement never
 * turns a heartbeat into a conflict) and starts fail-overs for copies it reports lost. Silent
 * hosts are found by the scheduled sweep (sweep-silent-hosts.ts), never here: the first heartbeat
 * after an outage must not judge the hosts whose heartbeats could not get through either.
 */
export async function recordHeartbeat(deps: RecordHeartbeatDeps, principalArn: string, hostId: string, heartbeat: HeartbeatRequest) {
  const host = await authorizeHost(deps.hosts, principalArn, hostId);
  const at = deps.now().toISOString();
  const totals = heartbeat.disks ? diskTotalsOf(heartbeat.disks, Object.keys(host.capacity) as VolumeType[]) : undefined;
  await deps.hosts.recordHeartbeat(hostId, at, heartbeat.health, totals, heartbeat.disks && registeredDisksOf(heartbeat.disks));
  const { losses } = await copyLossesIn(deps.volumes, hostId, heartbeat.copies ?? [], false);
  await reportLostCopies(deps.failovers, losses);
  return { hostId, receivedAt: at, lostCopies: losses.map((loss) => loss.copyId) };
}
