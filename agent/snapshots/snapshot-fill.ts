/**
 * Fills a new copy's file from a completed snapshot before its daemon opens it (a volume created
 * with `snapshotId`; docs/snapshots.md, "Restore"). The manifest comes through a presigned GET the
 * control plane hands out and is validated here; every chunk is then fetched and checked against
 * its digest (snapshot-restorer.ts). A corrupt chunk fails the fill naming it, and the copy is
 * never created (copy-store.ts writes the copy's metadata only after the fill).
 */
import type { Manifest } from '../../core/snapshots/manifest';
import { validateManifest } from '../../core/snapshots/manifest';
import type { RestoreUrlSource } from './chunk-urls';
import { transferChunk, type TransferCounters } from './chunk-transfer';
import { restoreSnapshot, type RestoreReport } from './snapshot-restorer';
import { SnapshotRestoreError } from './snapshot-errors';

/** Which snapshot fills which copy of which (new) volume. */
export interface CopyFillRequest {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly copyId: string;
}

export interface SnapshotFillerOptions {
  /** Where the URLs come from (the control plane's host route; tests: the S3 adapter). */
  readonly urlsFor: (request: CopyFillRequest) => RestoreUrlSource;
  /** Parallel chunk downloads. @default 4 */
  readonly concurrency?: number;
}

export class SnapshotFiller {
  private readonly progress = new Map<string, { current: number; total: number }>();

  constructor(private readonly options: SnapshotFillerOptions) {}

  /** Chunks written so far of a running fill (the create-copy command's progress), by copy id. */
  progressOf(copyId: string): { current: number; total: number } | undefined {
    return this.progress.get(copyId);
  }

  async fill(request: CopyFillRequest, dataPath: string, sizeBytes: number): Promise<RestoreReport> {
    const urls = this.options.urlsFor(request);
    const manifest = await fetchManifest(urls, request.snapshotId);
    if (manifest.sizeBytes > sizeBytes) {
      throw new SnapshotRestoreError(`snapshot ${request.snapshotId} holds ${manifest.sizeBytes} bytes; copy ${request.copyId} has only ${sizeBytes}`);
    }
    this.progress.set(request.copyId, { current: 0, total: manifest.chunks.length });
    try {
      return await restoreSnapshot(manifest, dataPath, urls, {
        ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
        onProgress: (current, total) => this.progress.set(request.copyId, { current, total }),
      });
    } finally {
      this.progress.delete(request.copyId);
    }
  }
}

async function fetchManifest(urls: RestoreUrlSource, snapshotId: string): Promise<Manifest> {
  const counters: TransferCounters = { retries: 0, renewals: 0 };
  const body = await transferChunk('GET', await urls.manifestUrl(), () => urls.manifestUrl(), counters);
  let manifest: Manifest;
  try {
    manifest = validateManifest(JSON.parse(body.toString('utf8')));
  } catch (error) {
    throw new SnapshotRestoreError(`the manifest of snapshot ${snapshotId} is not valid: ${(error as Error).message}`, { cause: error });
  }
  if (manifest.snapshotId !== snapshotId) throw new SnapshotRestoreError(`the manifest fetched for snapshot ${snapshotId} names snapshot ${manifest.snapshotId}`);
  return manifest;
}
