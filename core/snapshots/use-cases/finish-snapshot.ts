/**
 * The end of a snapshot's workflow. `completeSnapshot`: the host uploaded every chunk; the control
 * plane assembles the manifest from the entries the host handed over (after an incremental read,
 * the parent's entries for every chunk outside the ranges read), checks that every chunk the
 * parent does not hold exists, writes the manifest and marks the snapshot completed with its
 * figures. `failSnapshot`: marks it error with the reason; the entries its host handed over stay,
 * so deleting it releases the chunks it uploaded (collect-chunks.ts; docs/snapshots.md, "Deletion").
 */
import { InvalidStateError } from '../../errors';
import { CHUNK_SIZE_BYTES } from '../chunk';
import { inheritChunks, type ChunkRange } from '../chunk-ranges';
import { buildManifest, digestsOf, storedBytesOf, type Manifest, type ManifestChunk } from '../manifest';
import type { SnapshotObjects, SnapshotRepository } from '../ports';
import { changeSnapshot, sizeBytesOf, type Snapshot } from '../snapshot';
import { SnapshotStatus } from '../snapshot-status';
import { planUpload } from '../upload-plan';

export interface FinishSnapshotDeps {
  readonly snapshots: SnapshotRepository;
  readonly objects: SnapshotObjects;
  readonly now: () => Date;
}

/** The host's answer: when its point in time was established, and, after an incremental read, from which parent and which chunks it read. */
export interface UploadedSnapshot {
  readonly pointAt?: string;
  readonly incrementalFrom?: string;
  readonly readRanges?: readonly ChunkRange[];
}

export async function completeSnapshot(deps: FinishSnapshotDeps, snapshotId: string, uploaded: UploadedSnapshot = {}): Promise<Snapshot> {
  const snapshot = await deps.snapshots.get(snapshotId);
  if (!snapshot) throw new InvalidStateError(`snapshot ${snapshotId} does not exist`);
  if (snapshot.status === SnapshotStatus.completed) return snapshot;
  const entries = new Map((await deps.objects.manifestParts(snapshot.lineageId, snapshotId)).map((chunk) => [chunk.index, chunk]));
  const parent: Manifest | undefined = snapshot.parentSnapshotId ? await deps.objects.getManifest(snapshot.lineageId, snapshot.parentSnapshotId) : undefined;
  const manifest = buildManifest({
    snapshotId,
    volumeId: snapshot.volumeId,
    lineageId: snapshot.lineageId,
    parentSnapshotId: snapshot.parentSnapshotId,
    sizeBytes: sizeBytesOf(snapshot),
    chunkSizeBytes: CHUNK_SIZE_BYTES,
    chunks: chunksOf(snapshot, [...entries.values()], parent, uploaded),
  });
  const plan = planUpload(manifest.chunks, parent?.chunks ?? [], parent ? digestsOf(parent) : new Set());
  const present = await deps.objects.existing(snapshot.lineageId, plan.toUpload);
  const missing = plan.toUpload.filter((digest) => !present.has(digest));
  if (missing.length > 0) throw new InvalidStateError(`snapshot ${snapshotId} misses ${missing.length} chunks, e.g. ${missing[0]}`, { missing: missing.slice(0, 10) });
  await deps.objects.putManifest(manifest);
  const completed = changeSnapshot(snapshot, { type: 'uploaded' }, deps.now(), {
    storedBytes: storedBytesOf(manifest),
    changedBytes: plan.changedBytes,
    ...(uploaded.pointAt ? { pointAt: uploaded.pointAt } : {}),
  });
  await deps.snapshots.save(completed);
  await deps.objects.deleteManifestParts(snapshot.lineageId, snapshotId);
  return completed;
}

/** The entries handed over, or with an incremental read the whole list with the parent's (refused unless it is this snapshot's parent, of its size). */
function chunksOf(snapshot: Snapshot, read: ManifestChunk[], parent: Manifest | undefined, uploaded: UploadedSnapshot): ManifestChunk[] {
  if (uploaded.readRanges === undefined) return read;
  if (!parent || uploaded.incrementalFrom !== parent.snapshotId || parent.sizeBytes !== sizeBytesOf(snapshot)) {
    throw new InvalidStateError(`snapshot ${snapshot.snapshotId} was read incrementally from ${uploaded.incrementalFrom ?? 'no snapshot'}, which is not its parent of the same size`);
  }
  return inheritChunks(read, uploaded.readRanges, parent.chunks);
}

export async function failSnapshot(deps: FinishSnapshotDeps, snapshotId: string, reason: string): Promise<void> {
  const snapshot = await deps.snapshots.get(snapshotId);
  if (!snapshot || snapshot.status !== SnapshotStatus.pending) return;
  // Its manifest parts stay: they name the chunks it may have uploaded, which its deletion releases (collect-chunks.ts).
  await deps.snapshots.save(changeSnapshot(snapshot, { type: 'failed', reason: reason.slice(0, 500) }, deps.now()));
}
