/**
 * Reference counts of a lineage's chunks: how many live snapshots' manifests name each digest.
 * Deleting a snapshot releases exactly the digests whose count drops to zero; every chunk a
 * later (or earlier) snapshot still names stays, so deleting a middle snapshot leaves the others
 * restorable (docs/snapshots.md, "Deletion").
 */
import type { Manifest } from './manifest';

export function chunkReferenceCounts(manifests: readonly Pick<Manifest, 'chunks'>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const manifest of manifests) {
    for (const digest of new Set(manifest.chunks.map((chunk) => chunk.digest))) counts.set(digest, (counts.get(digest) ?? 0) + 1);
  }
  return counts;
}

/** The digests of `deleted` no manifest in `remaining` names: the chunk objects the GC may remove. */
export function releasableChunks(deleted: Pick<Manifest, 'chunks'>, remaining: readonly Pick<Manifest, 'chunks'>[]): string[] {
  const counts = chunkReferenceCounts(remaining);
  return [...new Set(deleted.chunks.map((chunk) => chunk.digest))].filter((digest) => !counts.has(digest)).sort();
}
