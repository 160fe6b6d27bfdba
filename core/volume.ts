import type { VolumeStatus } from './volume-status';

export const VOLUME_TYPES = ['hdd', 'ssd'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

export const COPY_ROLES = ['primary', 'mirror'] as const;
export type CopyRole = (typeof COPY_ROLES)[number];

/** One copy of a volume's data on one storage host. */
export interface VolumeCopy {
  readonly copyId: string;
  readonly hostId: string;
  readonly role: CopyRole;
}

export interface Volume {
  readonly volumeId: string;
  readonly tenantId: string;
  readonly sizeGiB: number;
  readonly type: VolumeType;
  readonly iops: number;
  readonly location: string;
  readonly status: VolumeStatus;
  readonly statusReason?: string;
  readonly copies: readonly VolumeCopy[];
  /** Raised on every change of primary; a copy with an older generation never serves. */
  readonly generation: number;
  /** Optimistic-concurrency counter: every write expects the version it read. */
  readonly version: number;
  readonly clientToken?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a customer sees: everything but the tenant and the concurrency counter. */
export function describeVolume(volume: Volume) {
  const { tenantId: _tenant, version: _version, clientToken: _token, ...visible } = volume;
  return visible;
}
