import type { HeartbeatRequest } from '../host-requests';
import type { HostRepository } from '../ports';
import { authorizeHost } from './authorize-host';
import { capacityOf } from './register-host';

export async function recordHeartbeat(
  hosts: HostRepository,
  principalArn: string,
  hostId: string,
  heartbeat: HeartbeatRequest,
  now: Date,
): Promise<{ hostId: string; receivedAt: string }> {
  const host = await authorizeHost(hosts, principalArn, hostId);
  const at = now.toISOString();
  const capacity = heartbeat.disks ? capacityOf(heartbeat.disks, host.capacity) : undefined;
  await hosts.recordHeartbeat(hostId, at, heartbeat.health, capacity);
  return { hostId, receivedAt: at };
}
