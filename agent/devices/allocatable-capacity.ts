/**
 * What a disk can really hold for copies, in the terms the control plane counts: the capacity
 * it reports is free space plus the space of the copies it already holds or is creating (the
 * control plane counts those as allocated), less the room the agent keeps free, so that a copy
 * the control plane places always passes the agent's own check ({@link fitsCopy}).
 */

/** Room kept free on a disk beyond a copy's size: metadata, keys, the filesystem's own needs. */
export const DISK_HEADROOM_BYTES = 64 * 1024 * 1024;
/**
 * Budget for what copies created between two reports use beyond their size (metadata, keys,
 * extent blocks: tens of KiB each), which the next report sees but the control plane does not.
 */
export const COPY_OVERHEAD_BUDGET_BYTES = 64 * 1024 * 1024;

export interface DiskUsage {
  /** statfs `bavail` × block size now. */
  readonly freeBytes: number;
  /** Sizes of the complete copies on the disk (their metadata's sizeBytes). */
  readonly copyBytes: number;
  /** Bytes already allocated to copies being created (folders without metadata yet). */
  readonly creatingBytes: number;
  /** Sizes the agent reserved for creations in progress. */
  readonly reservedBytes: number;
}

/** Free space as if every creation in progress were fully allocated already (never counting a byte twice). */
export function freeAfterCreations(usage: DiskUsage): number {
  return usage.freeBytes - Math.max(0, usage.reservedBytes - usage.creatingBytes);
}

/** The bytes the control plane may promise on this disk in total (its allocated copies included). */
export function allocatableBytes(usage: DiskUsage): number {
  return Math.max(0, freeAfterCreations(usage) + usage.copyBytes + usage.reservedBytes - DISK_HEADROOM_BYTES - COPY_OVERHEAD_BUDGET_BYTES);
}

/** The agent's check before creating a copy of `sizeBytes` here. */
export function fitsCopy(usage: DiskUsage, sizeBytes: number): boolean {
  return freeAfterCreations(usage) >= sizeBytes + DISK_HEADROOM_BYTES;
}
