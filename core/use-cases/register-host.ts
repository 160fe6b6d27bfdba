import { ForbiddenError } from '../errors';
import { HostStatus, type Host, type TypeCapacity } from '../host';
import type { Disk, RegisterHostRequest } from '../host-requests';
import { deleteCopyCommand } from '../copy-commands';
import type { FailoverWorkflows, HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import { copyLossesIn } from './copy-losses';
import { reportLostCopies } from './detect-lost-copies';
import { sendHostCommand } from './send-host-command';
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
export interface RegisterHostDeps {
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly commands: HostCommandQueue;
  readonly failovers: FailoverWorkflows;
}

export async function registerHost(deps: RegisterHostDeps, principalArn: string, request: RegisterHostRequest, now: Date): Promise<Host> {
  const { hosts } = deps;
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
  await settleReportedCopies(deps, host.hostId, request.copies, now);
  return host;
}

/**
 * A registering host reports the copies it found on its disks. None of them serves again on
 * its own word: copies its volumes still count on are failed over (the surviving copy has
 * every acknowledged write), and copies no volume counts on are deleted.
 */
async function settleReportedCopies(deps: RegisterHostDeps, hostId: string, reports: RegisterHostRequest['copies'], now: Date): Promise<void> {
  const { losses, strays } = await copyLossesIn(deps.volumes, hostId, reports, true);
  await reportLostCopies(deps.failovers, losses);
  for (const stray of strays) await sendHostCommand(deps.commands, deleteCopyCommand(stray.volumeId, { hostId, copyId: stray.copyId }, stray.generation), now);
}
