import type { SealedKey } from './sealed-key';
import type { Utilization, VolumePolicy } from './volume-policy';
import type { VolumeStatus } from './volume-status';

export const VOLUME_TYPES = ['hdd', 'ssd'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

/**
 * `filling`: a new copy being filled from the mirror during a migration, reachable only with the
 * replication key and never promoted by fail-over; `retiring`: an old primary after a planned
 * cutover, until its host deleted it (docs/modification.md).
 */
export const COPY_ROLES = ['primary', 'mirror', 'filling', 'retiring'] as const;
export type CopyRole = (typeof COPY_ROLES)[number];

/** Where a copy's NBD export listens. */
export interface NbdEndpoint {
  readonly address: string;
  readonly port: number;
  readonly exportName: string;
}

/** One copy of a volume's data on one storage host. */
export interface VolumeCopy {
  readonly copyId: string;
  readonly hostId: string;
  readonly role: CopyRole;
  /** The disk the control plane placed the copy on (core/disk-placement.ts); absent for a host placed by its pool alone. */
  readonly deviceId?: string;
  /** Known once the host has built the copy. */
  readonly nbd?: NbdEndpoint;
  /** A mirror is in sync once the primary's synchronous mirror job reached READY; only such a mirror may be promoted. */
  readonly inSync?: boolean;
  /**
   * The volume generation at which `inSync` was last established. A mark from an older generation
   * is no evidence (the generation advances when a copy is outdated), so only a copy in sync at
   * the volume's current generation may be promoted (isInSyncNow).
   */
  readonly inSyncGeneration?: number;
}

/** A client that asked to connect; the volume is in-use while it has any. */
export interface Attachment {
  readonly attachmentId: string;
  readonly createdAt: string;
  /** This attachment's own client key: the primary admits it until the attachment ends; a fail-over replaces it. */
  readonly clientKey: SealedKey;
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
  /** The key between the primary and the current mirror (a new one for every mirror); absent while there is no mirror. */
  readonly replicationKey?: SealedKey;
  readonly attachments: readonly Attachment[];
  /** Optimistic-concurrency counter: every write expects the version it read. */
  readonly version: number;
  readonly clientToken?: string;
  /** The modification in flight (status `modifying`), and the one queued behind it after its cutover. */
  readonly modificationId?: string;
  readonly queuedModificationId?: string;
  /** Automatic adjustment (PUT /volumes/{id}/policy) and the latest utilization the attach side reported. */
  readonly policy?: VolumePolicy;
  readonly utilization?: Utilization;
  /** The completed snapshot the volume was created from (EBS's `SnapshotId`); its copies are filled from it before they serve. */
  readonly snapshotId?: string;
  /** The create-copy commands filling the copies from `snapshotId` (their reported progress is the restore's). */
  readonly restoreCommands?: readonly RestoreCommand[];
  /** The mirror rebuild that carries on (core/use-cases/attempt-mirror-rebuild.ts): the latest fail-over to begin one. */
  readonly rebuildOwner?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One copy's fill from the snapshot: the host command that does it. */
export interface RestoreCommand {
  readonly hostId: string;
  readonly commandId: string;
}

/**
 * What a customer sees: no tenant, keys, endpoints or concurrency counter. A volume restored from
 * a snapshot shows `restoreProgressPercent` (core/volume-restore.ts): `restoreProgress` while it
 * is creating (0 when not given), 100 once created.
 */
export function describeVolume(volume: Volume, restoreProgress?: number) {
  const {
    tenantId: _tenant, version: _version, clientToken: _token, replicationKey: _key, queuedModificationId: _queued, policy: _policy, utilization: _utilization, restoreCommands: _restore, copies, attachments, ...visible
  } = volume;
  const restoring = volume.snapshotId !== undefined && volume.status !== 'error';
  return {
    ...visible,
    ...(restoring ? { restoreProgressPercent: volume.status === 'creating' ? (restoreProgress ?? 0) : 100 } : {}),
    copies: copies.map(({ copyId, hostId, role, inSync }) => ({ copyId, hostId, role, inSync: inSync ?? false })),
    attachments: attachments.map(({ attachmentId, createdAt }) => ({ attachmentId, createdAt })),
  };
}

/** In sync at the volume's current generation: the only evidence that lets a copy be promoted. */
export function isInSyncNow(volume: Pick<Volume, 'generation'>, copy: VolumeCopy): boolean {
  return copy.inSync === true && copy.inSyncGeneration === volume.generation;
}

export function primaryOf(volume: Volume): VolumeCopy | undefined {
  return volume.copies.find((copy) => copy.role === 'primary');
}

export function mirrorOf(volume: Volume): VolumeCopy | undefined {
  return volume.copies.find((copy) => copy.role === 'mirror');
}
