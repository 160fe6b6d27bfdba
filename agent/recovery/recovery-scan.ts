/**
 * The recovery scan (docs/recovery.md, "The report"): for every copy found on the disks, what the
 * control plane needs to classify it: ids, role, generation, size, health (data readable, metadata
 * consistent with the file) and the per-chunk digest. A copy whose data cannot be read is
 * reported unhealthy, without a digest; the scan never fails as a whole because of one copy.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ScannedCopy } from '../../core/recovery/recovery-report';
import { readCopyMetadata } from '../copies/copy-metadata';
import { COPY_FILES } from '../copies/volume-copy';
import { digestOf } from './copy-digest';

/** A copy as the copies controller found it: its reported identity and where its data file is. */
export interface FoundCopy {
  readonly volumeId: string;
  readonly copyId: string;
  readonly dataPath: string;
}

export async function scanCopy(found: FoundCopy): Promise<ScannedCopy> {
  const metadataPath = path.join(path.dirname(found.dataPath), COPY_FILES.metadata);
  const metadata = await readCopyMetadata(metadataPath).catch(() => undefined);
  const size = await fs.stat(found.dataPath).then((stat) => stat.size).catch(() => undefined);
  const base = {
    volumeId: found.volumeId,
    copyId: found.copyId,
    role: metadata?.role ?? 'mirror',
    generation: metadata?.generation ?? 0,
    sizeBytes: Math.max(1, metadata?.sizeBytes ?? size ?? 1),
  };
  const metadataConsistent = metadata !== undefined && metadata.volumeId === found.volumeId && metadata.copyId === found.copyId && metadata.sizeBytes === size;
  if (size === undefined || size === 0) return { ...base, health: { readable: false, metadataConsistent } };
  try {
    const digest = await digestOf(found.dataPath, base.sizeBytes);
    return { ...base, health: { readable: true, metadataConsistent }, digest };
  } catch {
    // An unreadable copy is reported as such: the control plane quarantines it (rule `unhealthy`).
    return { ...base, health: { readable: false, metadataConsistent } };
  }
}

/** Scans every copy, at most `parallel` at a time (each reads its whole file once). */
export async function scanCopies(found: readonly FoundCopy[], parallel = 4): Promise<ScannedCopy[]> {
  const results: ScannedCopy[] = new Array(found.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < found.length) {
      const index = next++;
      results[index] = await scanCopy(found[index] as FoundCopy);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, found.length) }, worker));
  return results;
}
