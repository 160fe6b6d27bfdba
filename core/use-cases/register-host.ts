import { ForbiddenError } from '../errors';
import { HostStatus, type Host, type TypeCapacity } from '../host';
import type { Disk, RegisterHostRequest } from '../host-requests';
import type { HostRepository } from '../ports';
import { VOLUME_TYPES, type VolumeType } from '../volume';

/** Sums healthy disks per storage type; allocations are carried over from what is already promised. */
export function capacityOf(disks: readonly Disk[], previous: Host['capacity'] = {}): Host['capacity'] {
  const capacity: Partial<Record<VolumeType, TypeCapacity>> = {};
  for (const type of VOLUME_TYPES) {
    const healthy = disks.filter((disk) => disk.type === type && disk.health !== 'failed');
    const before = previous[type];
    if (healthy.length === 0 && !before) continue;
    capacity[type] = {
      capacityGiB: healthy.reduce((sum, disk) => sum + disk.capacityGiB, 0),
      iopsCapacity: healthy.reduce((sum, disk) => sum + disk.iopsCapacity, 0),
      allocatedGiB: before?.allocatedGiB ?? 0,
      allocatedIops: before?.allocatedIops ?? 0,
    };
  }
  return capacity;
}

/**
 * Registers a storage host, bound to the principal that registers it. Re-registration
 * (agent restart) by the same principal refreshes address, disks and version and keeps
 * the host's allocations; another principal may not take over a host id.
 */
export async function registerHost(
  hosts: HostRepository,
  principalArn: string,
  request: RegisterHostRequest,
  now: Date,
): Promise<Host> {
  const existing = await hosts.get(request.hostId);
  if (existing && existing.principalArn !== principalArn) {
    throw new ForbiddenError(`host ${request.hostId} is registered to another principal`, { hostId: request.hostId });
  }
  const at = now.toISOString();
  const host: Host = {
    hostId: request.hostId,
    location: request.location,
    address: request.address,
    agentVersion: request.agentVersion,
    principalArn,
    status: HostStatus.active,
    health: 'ok',
    capacity: capacityOf(request.disks, existing?.capacity),
    lastHeartbeatAt: at,
    registeredAt: existing?.registeredAt ?? at,
    version: (existing?.version ?? 0) + 1,
  };
  await hosts.register(host);
  return host;
}
