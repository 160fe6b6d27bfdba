/**
 * A snapshot record: which volume and lineage it belongs to, its parent (the lineage's newest
 * completed snapshot when it was taken), its lifecycle and its figures. The manifest itself lives
 * in S3 (manifest.ts); the record keeps only what the API shows.
 */
import { randomBytes } from 'node:crypto';
import { GiB } from './units';
import { applySnapshotEvent, SnapshotStatus, type SnapshotEvent } from './snapshot-status';

export interface Snapshot {
  readonly snapshotId: string;
  readonly tenantId: string;
  readonly volumeId: string;
  readonly lineageId: string;
  readonly parentSnapshotId?: string;
  readonly description?: string;
  readonly clientToken?: string;
  readonly sizeGiB: number;
  readonly status: SnapshotStatus;
  readonly statusReason?: string;
  readonly progressPercent: number;
  readonly startedAt: string;
  readonly completedAt?: string;
  /** When the point in time was established on the host (the image holds no write issued after it). */
  readonly pointAt?: string;
  readonly changedBytes?: number;
  readonly storedBytes?: number;
  readonly uploadedBytes?: number;
  readonly version: number;
}

export const newSnapshotId = (): string => `snap-${randomBytes(9).toString('hex').slice(0, 17)}`;

export interface NewSnapshot {
  readonly tenantId: string;
  readonly volumeId: string;
  readonly lineageId: string;
  readonly parentSnapshotId?: string;
  readonly sizeGiB: number;
  readonly description?: string;
  readonly clientToken?: string;
  readonly now: Date;
}

export function pendingSnapshot(input: NewSnapshot, snapshotId = newSnapshotId()): Snapshot {
  return {
    snapshotId,
    tenantId: input.tenantId,
    volumeId: input.volumeId,
    lineageId: input.lineageId,
    ...(input.parentSnapshotId ? { parentSnapshotId: input.parentSnapshotId } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.clientToken ? { clientToken: input.clientToken } : {}),
    sizeGiB: input.sizeGiB,
    status: SnapshotStatus.pending,
    progressPercent: 0,
    startedAt: input.now.toISOString(),
    version: 1,
  };
}

/** The next record after `event`: status through the one transition function, the version bumped. */
export function changeSnapshot(snapshot: Snapshot, event: SnapshotEvent, now: Date, figures: Partial<Pick<Snapshot, 'changedBytes' | 'storedBytes' | 'uploadedBytes' | 'pointAt'>> = {}): Snapshot {
  const change = applySnapshotEvent(snapshot.status, event);
  const { statusReason: _previousReason, ...rest } = snapshot;
  return {
    ...rest,
    ...figures,
    status: change.status,
    ...(change.statusReason ? { statusReason: change.statusReason } : {}),
    progressPercent: event.type === 'progress' ? Math.max(snapshot.progressPercent, Math.min(99, Math.floor(event.percent))) : event.type === 'uploaded' ? 100 : snapshot.progressPercent,
    ...(event.type === 'uploaded' ? { completedAt: now.toISOString() } : {}),
    version: snapshot.version + 1,
  };
}

/** The API view (no tenant id, no client token, no version). */
export function describeSnapshot(snapshot: Snapshot) {
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.status,
    ...(snapshot.statusReason ? { statusReason: snapshot.statusReason } : {}),
    progressPercent: snapshot.progressPercent,
    sizeGiB: snapshot.sizeGiB,
    ...(snapshot.description !== undefined ? { description: snapshot.description } : {}),
    startedAt: snapshot.startedAt,
    ...(snapshot.completedAt ? { completedAt: snapshot.completedAt } : {}),
    ...(snapshot.pointAt ? { pointAt: snapshot.pointAt } : {}),
    ...(snapshot.parentSnapshotId ? { parentSnapshotId: snapshot.parentSnapshotId } : {}),
    ...(snapshot.changedBytes !== undefined ? { changedBytes: snapshot.changedBytes } : {}),
    ...(snapshot.storedBytes !== undefined ? { storedBytes: snapshot.storedBytes } : {}),
  };
}

/** Bytes of a snapshot's volume. */
export const sizeBytesOf = (snapshot: Pick<Snapshot, 'sizeGiB'>): number => snapshot.sizeGiB * GiB;
