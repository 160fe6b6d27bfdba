/** The snapshot context's ports (adapters/dynamodb-snapshot-repository.ts, adapters/s3-snapshot-chunks.ts, the workflows adapter). */
import type { PageKey } from '../ports';
import type { Manifest, ManifestChunk } from './manifest';
import type { Snapshot } from './snapshot';

export interface SnapshotPage {
  readonly snapshots: readonly Snapshot[];
  readonly lastKey?: PageKey;
}

export interface SnapshotListing {
  readonly maxResults: number;
  readonly startKey?: PageKey;
}

export type SnapshotCreation = { readonly created: true; readonly snapshot: Snapshot } | { readonly created: false; readonly existingSnapshotId: string };

export interface SnapshotRepository {
  /** Stores a new pending snapshot; with a client token, at most one per (tenant, token). */
  create(snapshot: Snapshot): Promise<SnapshotCreation>;
  get(snapshotId: string): Promise<Snapshot | undefined>;
  /** Writes `snapshot` if the stored version is still `snapshot.version - 1` (else VersionConflictError). */
  save(snapshot: Snapshot): Promise<void>;
  listByVolume(volumeId: string, listing: SnapshotListing): Promise<SnapshotPage>;
  listByTenant(tenantId: string, listing: SnapshotListing): Promise<SnapshotPage>;
  /** Every snapshot of a lineage that is not deleted, oldest first. */
  lineage(lineageId: string): Promise<readonly Snapshot[]>;
}

/** One presigned request for one chunk object. */
export interface ChunkUrl {
  readonly digest: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface SnapshotObjects {
  presignPut(lineageId: string, digest: string, expiresInSeconds: number): Promise<ChunkUrl>;
  presignGet(lineageId: string, digest: string, expiresInSeconds: number): Promise<ChunkUrl>;
  /** A presigned GET of the snapshot's manifest (`digest` is empty: the agent validates the manifest itself). */
  presignManifestGet(lineageId: string, snapshotId: string, expiresInSeconds: number): Promise<ChunkUrl>;
  /** The digests of `digests` whose chunk objects exist. */
  existing(lineageId: string, digests: readonly string[]): Promise<Set<string>>;
  putManifest(manifest: Manifest): Promise<void>;
  getManifest(lineageId: string, snapshotId: string): Promise<Manifest | undefined>;
  deleteManifest(lineageId: string, snapshotId: string): Promise<void>;
  deleteChunks(lineageId: string, digests: readonly string[]): Promise<void>;
  /** Keeps one batch of a pending snapshot's manifest entries (idempotent per first index: a resumed upload rewrites the same part). */
  putManifestPart(lineageId: string, snapshotId: string, chunks: readonly ManifestChunk[]): Promise<void>;
  /** Every entry of every part, unordered. */
  manifestParts(lineageId: string, snapshotId: string): Promise<ManifestChunk[]>;
  deleteManifestParts(lineageId: string, snapshotId: string): Promise<void>;
}

export interface SnapshotWorkflows {
  startSnapshot(snapshot: Snapshot): Promise<void>;
  startChunkCollection(snapshot: Snapshot): Promise<void>;
}
