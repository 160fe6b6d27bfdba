import { ForbiddenError, InvalidRequestError } from '../errors';
import { HostStatus, type Host, type TypeCapacity } from '../host';
import type { Disk, RegisterHostRequest } from '../host-requests';
import { deleteCopyCommand, resumeCopyCommand } from '../copy-commands';
import type { FailoverWorkflows, HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import { copyLossesIn } from './copy-losses';
import { loseHost, reportLostCopies } from './detect-lost-copies';
import { storageAddressProblem, type Ipv4Cidr } from '../storage-network';
import { sendHostCommand } from './send-host-command';
import type { VolumeType } from '../volume';
import { diskTotalsOf, type DiskTotals } from '../disk-totals';
import { diskAllocationsOf, registeredDisksOf } from '../disk-records';
import { retryOnVersionConflict } from '../version-conflict-retry';

/** Capacity from the disks reported; allocations are carried over from what is already promised. */
export function capacityOf(disks: readonly Disk[], previous: Host['capacity'] = {}): Host['capacity'] {
  const capacity: Partial<Record<VolumeType, TypeCapacity>> = {};
  const totals = diskTotalsOf(disks, Object.keys(previous) as VolumeType[]);
  for (const [type, total] of Object.entries(totals) as [VolumeType, DiskTotals][]) {
    capacity[type] = { ...total, allocatedGiB: previous[type]?.allocatedGiB ?? 0, allocatedIops: previous[type]?.allocatedIops ?? 0 };
  }
  return capacity;
}

export interface RegisterHostDeps {
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly commands: HostCommandQueue;
  readonly failovers: FailoverWorkflows;
  /** The block every host address must be in (docs/host-commands.md, "What a host may claim"). */
  readonly storageNetwork: Ipv4Cidr;
}

/**
 * Registers a storage host, bound to the principal that registers it. Re-registration
 * (agent restart) by the same principal refreshes address, disks and version and keeps
 * the host's allocations; another principal may not take over a host id. A principal holds
 * one host id at a time: registering another one retires the previous one (it is marked
 * unreachable, its copies fail over, and its calls are refused from then on), so one
 * principal can never hold both copies of a volume.
 */
export async function registerHost(deps: RegisterHostDeps, principalArn: string, request: RegisterHostRequest, now: Date): Promise<Host> {
  const { hosts } = deps;
  const addressProblem = storageAddressProblem(request.address, deps.storageNetwork);
  if (addressProblem) throw new InvalidRequestError(addressProblem, { address: request.address });
  const host = await retryOnVersionConflict(() => writeRegistration(hosts, principalArn, request, now));
  const retired = await hosts.bindPrincipal(principalArn, host.hostId);
  const previous = retired === undefined ? undefined : await hosts.get(retired);
  if (previous) await loseHost(deps, previous, `host ${previous.hostId} was retired: its principal registered as host ${host.hostId}`);
  await settleReportedCopies(deps, host.hostId, request.copies, now);
  return host;
}

/** Reads the host's record and writes the registration over it (run again if another writer changed it meanwhile). */
async function writeRegistration(hosts: HostRepository, principalArn: string, request: RegisterHostRequest, now: Date): Promise<Host> {
  const existing = await hosts.get(request.hostId);
  if (existing && existing.principalArn !== principalArn) {
    throw new ForbiddenError(`host ${request.hostId} is registered to another principal`, { hostId: request.hostId });
  }
  const at = now.toISOString();
  const diskAllocations = diskAllocationsOf(request.disks, existing);
  const host: Host = {
    hostId: request.hostId,
    location: request.location,
    ...(request.rack !== undefined ? { rack: request.rack } : {}),
    disks: registeredDisksOf(request.disks),
    address: request.address,
    agentVersion: request.agentVersion,
    principalArn,
    status: HostStatus.active,
    health: 'ok',
    capacity: capacityOf(request.disks, existing?.capacity),
    ...(diskAllocations === undefined ? {} : { diskAllocations }),
    lastHeartbeatAt: at,
    registeredAt: existing?.registeredAt ?? at,
    sessionStartedAt: at,
    version: (existing?.version ?? 0) + 1,
  };
  await hosts.register(host);
  return host;
}

/**
 * A registering host reports the copies it found on its disks. None of them serves again on
 * its own word: copies its volumes still count on are failed over (the surviving copy has
 * every acknowledged write), and copies no volume counts on are deleted. A copy held since a
 * clean stop of its agent, that nothing happened to meanwhile, is told to serve again as it was
 * (core/clean-restart.ts); the command is issued at the registration, so the host accepts it.
 */
async function settleReportedCopies(deps: RegisterHostDeps, hostId: string, reports: RegisterHostRequest['copies'], now: Date): Promise<void> {
  const { losses, strays, resumes } = await copyLossesIn(deps.volumes, hostId, reports, true);
  await reportLostCopies(deps.failovers, losses);
  for (const { volume, copy } of resumes) await sendHostCommand(deps.commands, resumeCopyCommand(volume, copy), now);
  for (const stray of strays) await sendHostCommand(deps.commands, deleteCopyCommand(stray.volumeId, { hostId, copyId: stray.copyId }, stray.generation), now);
}
