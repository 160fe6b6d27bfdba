/**
 * The chunk-GC step of a deleted snapshot: removes the chunks only it named, then its manifest,
 * then marks it deleted. Waits (InvalidStateError, retried by the workflow) while another snapshot
 * of the lineage is pending, because that upload may count on chunks this one holds.
 *
 * A snapshot that failed has no manifest, but the entries its host handed over (the manifest
 * parts, kept by failSnapshot for this) name every chunk it may have uploaded: those no other
 * manifest names are removed the same way, so a failed snapshot leaves nothing behind once it
 * is deleted (docs/snapshots.md, "Deletion").
 */
import { InvalidStateError } from '../../errors';
import { releasableChunks } from '../chunk-references';
import type { Manifest } from '../manifest';
import type { SnapshotObjects, SnapshotRepository } from '../ports';
import { changeSnapshot } from '../snapshot';
import { SnapshotStatus } from '../snapshot-status';

export interface CollectChunksDeps {
  readonly snapshots: SnapshotRepository;
  readonly objects: SnapshotObjects;
  readonly now: () => Date;
}

export async function collectChunks(deps: CollectChunksDeps, snapshotId: string): Promise<{ releasedChunks: number }> {
  const snapshot = await deps.snapshots.get(snapshotId);
  if (!snapshot || snapshot.status === SnapshotStatus.deleted) return { releasedChunks: 0 };
  if (snapshot.status !== SnapshotStatus.deleting) throw new InvalidStateError(`snapshot ${snapshotId} is ${snapshot.status}, not deleting`);
  const others = (await deps.snapshots.lineage(snapshot.lineageId)).filter((other) => other.snapshotId !== snapshotId);
  if (others.some((other) => other.status === SnapshotStatus.pending)) {
    throw new InvalidStateError(`lineage ${snapshot.lineageId} has a snapshot in progress; chunks are collected after it ends`);
  }
  const remaining: Manifest[] = [];
  for (const other of others) {
    if (other.status !== SnapshotStatus.completed && other.status !== SnapshotStatus.deleting) continue;
    const manifest = await deps.objects.getManifest(other.lineageId, other.snapshotId);
    if (manifest) remaining.push(manifest);
  }
  const own = (await deps.objects.getManifest(snapshot.lineageId, snapshotId)) ?? { chunks: await deps.objects.manifestParts(snapshot.lineageId, snapshotId) };
  const released = releasableChunks(own, remaining);
  await deps.objects.deleteChunks(snapshot.lineageId, released);
  await deps.objects.deleteManifest(snapshot.lineageId, snapshotId);
  await deps.objects.deleteManifestParts(snapshot.lineageId, snapshotId);
  await deps.snapshots.save(changeSnapshot(snapshot, { type: 'chunks-released' }, deps.now()));
  return { releasedChunks: released.length };
}
