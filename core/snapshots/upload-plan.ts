/**
 * Which chunks of a new snapshot must be uploaded: those whose digest the lineage does not hold
 * yet (the parent's manifest, plus what this snapshot already uploaded before a crash). Identical
 * chunks, within the snapshot or across the lineage, are uploaded once.
 */
import type { ManifestChunk } from './manifest';

export interface UploadPlan {
  /** Distinct digests to upload, in first-seen order. */
  readonly toUpload: readonly string[];
  /** Bytes of chunks that differ from the parent at the same index (EBS's "changed" bytes). */
  readonly changedBytes: number;
}

export function planUpload(chunks: readonly ManifestChunk[], parent: readonly ManifestChunk[], held: ReadonlySet<string>): UploadPlan {
  const parentAt = new Map(parent.map((chunk) => [chunk.index, chunk.digest]));
  const seen = new Set<string>();
  const toUpload: string[] = [];
  let changedBytes = 0;
  for (const chunk of chunks) {
    if (parentAt.get(chunk.index) !== chunk.digest) changedBytes += chunk.lengthBytes;
    if (held.has(chunk.digest) || seen.has(chunk.digest)) continue;
    seen.add(chunk.digest);
    toUpload.push(chunk.digest);
  }
  // Chunks the parent had that are now zero changed too.
  const now = new Set(chunks.map((chunk) => chunk.index));
  for (const chunk of parent) if (!now.has(chunk.index)) changedBytes += chunk.lengthBytes;
  return { toUpload, changedBytes };
}
