import type { DiskAllocation, Host, RegisteredDisk } from './host';
import type { Disk } from './host-requests';

/** What the host record keeps of each reported disk (health topology, and the sizes placement per disk reads). */
export function registeredDisksOf(disks: readonly Disk[]): RegisteredDisk[] {
  return disks.map(({ deviceId, type, health, capacityGiB, iopsCapacity }) => ({ deviceId, type, health, capacityGiB, iopsCapacity }));
}

/**
 * The allocations per disk a (re-)registering host starts from: what was promised on each disk is
 * kept, and each newly reported disk starts at nothing (so every disk has an entry to add to). A
 * host whose record predates placement per disk and already holds allocations stays placed by its
 * pool (undefined): which of its disks hold its copies was never recorded, so zero per disk would
 * promise room those copies already take.
 */
export function diskAllocationsOf(disks: readonly Disk[], existing: Host | undefined): Record<string, DiskAllocation> | undefined {
  if (existing && existing.diskAllocations === undefined && Object.values(existing.capacity).some((c) => c.allocatedGiB > 0 || c.allocatedIops > 0)) return undefined;
  const allocations: Record<string, DiskAllocation> = { ...existing?.diskAllocations };
  for (const disk of disks) allocations[disk.deviceId] ??= { allocatedGiB: 0, allocatedIops: 0 };
  return allocations;
}
