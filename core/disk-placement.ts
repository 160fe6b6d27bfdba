import type { DiskAllocation, Host, RegisteredDisk } from './host';
import type { VolumeType } from './volume';

/**
 * Placement per disk (docs/api.md, "Placement"): a copy is one file on one disk, so a host's pooled
 * free space of a type is not enough; one of its disks must hold the whole copy and its committed
 * IOPS. Hosts whose record predates it (no `diskAllocations`, or disks without sizes) are placed by
 * the type's pool alone, and their copies carry no deviceId.
 */

const NOTHING: DiskAllocation = { allocatedGiB: 0, allocatedIops: 0 };

/** Whether the host's record allows placement per disk: allocations per disk, and every disk's size and IOPS. */
export function placesPerDisk(host: Host): boolean {
  const disks = host.disks ?? [];
  return host.diskAllocations !== undefined && disks.length > 0 && disks.every((disk) => disk.capacityGiB !== undefined && disk.iopsCapacity !== undefined);
}

export function diskAllocationOf(host: Host, deviceId: string): DiskAllocation {
  return host.diskAllocations?.[deviceId] ?? NOTHING;
}

/** GiB and IOPS still unpromised on one disk. */
export function diskRoom(host: Host, disk: RegisteredDisk): { readonly gib: number; readonly iops: number } {
  const allocation = diskAllocationOf(host, disk.deviceId);
  return { gib: (disk.capacityGiB ?? 0) - allocation.allocatedGiB, iops: (disk.iopsCapacity ?? 0) - allocation.allocatedIops };
}

/**
 * The disk a new copy of `sizeGiB` and `iops` of `type` goes to on a host placed per disk: a disk
 * that is not failed, has an allocation entry (one per disk the host registered with), and has room
 * for both; among those, the one with the most GiB left (ties by deviceId), as the agent would pick
 * by itself. Undefined when no disk fits.
 */
export function chooseDisk(host: Host, type: VolumeType, sizeGiB: number, iops: number): RegisteredDisk | undefined {
  return (host.disks ?? [])
    .filter((disk) => disk.type === type && disk.health !== 'failed' && host.diskAllocations?.[disk.deviceId] !== undefined)
    .map((disk) => ({ disk, room: diskRoom(host, disk) }))
    .filter(({ room }) => room.gib >= sizeGiB && room.iops >= iops)
    .sort((a, b) => b.room.gib - a.room.gib || a.disk.deviceId.localeCompare(b.disk.deviceId))[0]?.disk;
}

/** Whether the disk holding a copy can take `sizeDelta` more GiB and `iopsDelta` more IOPS (a modification in place). */
export function diskCanTake(host: Host, deviceId: string, sizeDelta: number, iopsDelta: number): boolean {
  const disk = (host.disks ?? []).find((candidate) => candidate.deviceId === deviceId);
  if (!disk || disk.health === 'failed') return false;
  const room = diskRoom(host, disk);
  return room.gib >= sizeDelta && room.iops >= iopsDelta;
}
