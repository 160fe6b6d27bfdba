/**
 * The host route behind the agent's chunk transfers (docs/snapshots.md, "Transfer rules"): a
 * host holding a copy of the snapshot's volume hands over manifest entries and gets a presigned
 * PUT (one key, checksum bound, ≤ URL_EXPIRY_SECONDS) for each digest neither the parent nor the
 * lineage's bucket prefix holds (so a retry after a crash or a fail-over re-sends no stored chunk); or
 * gets presigned GETs for digests of a completed snapshot's manifest (or for the manifest itself).
 * A host filling a copy of a volume restored from the snapshot names that volume and may GET.
 * Any other host is answered 404, as for a snapshot that does not exist.
 */
import { InvalidRequestError, InvalidStateError, NotFoundError, VersionConflictError } from '../../errors';
import type { VolumeRepository } from '../../ports';
import { chunkCount } from '../chunk';
import { digestsOf } from '../manifest';
import type { ChunkUrl, SnapshotObjects, SnapshotRepository } from '../ports';
import { changeSnapshot, sizeBytesOf, type Snapshot } from '../snapshot';
import type { ChunkUrlsRequest } from '../snapshot-requests';
import { SnapshotStatus } from '../snapshot-status';

/** Presigned URLs live 10 minutes (the standard allows at most 15). */
export const URL_EXPIRY_SECONDS = 600;

export interface ChunkUrlsDeps {
  readonly snapshots: SnapshotRepository;
  readonly volumes: VolumeRepository;
  readonly objects: SnapshotObjects;
  readonly now: () => Date;
}

export interface ChunkUrlsAnswer {
  readonly urls: readonly ChunkUrl[];
  readonly held: readonly string[];
  /** A GET of the manifest, when asked for without digests. */
  readonly manifest?: ChunkUrl;
}

/** `volumeId`: the volume the host fills from the snapshot (it must have been created from it); else the snapshot's own volume. */
async function snapshotOfHost(deps: ChunkUrlsDeps, hostId: string, snapshotId: string, volumeId?: string): Promise<Snapshot> {
  const snapshot = await deps.snapshots.get(snapshotId);
  const volume = snapshot && (await deps.volumes.get(volumeId ?? snapshot.volumeId));
  const related = volume !== undefined && (volumeId === undefined || volume.snapshotId === snapshotId);
  if (!snapshot || !volume || !related || !volume.copies.some((copy) => copy.hostId === hostId)) {
    throw new NotFoundError(`snapshot ${snapshotId} does not exist for host ${hostId}`, { snapshotId });
  }
  return snapshot;
}

export async function handOutChunkUrls(deps: ChunkUrlsDeps, hostId: string, request: ChunkUrlsRequest): Promise<ChunkUrlsAnswer> {
  if (request.method === 'GET') {
    const snapshot = await snapshotOfHost(deps, hostId, request.snapshotId, request.volumeId);
    if (snapshot.status !== SnapshotStatus.completed) throw new InvalidStateError(`snapshot ${snapshot.snapshotId} is ${snapshot.status}, not completed`);
    if (request.digests === undefined) return { urls: [], held: [], manifest: await deps.objects.presignManifestGet(snapshot.lineageId, snapshot.snapshotId, URL_EXPIRY_SECONDS) };
    const manifest = await deps.objects.getManifest(snapshot.lineageId, snapshot.snapshotId);
    const named = manifest ? digestsOf(manifest) : new Set<string>();
    const unknown = request.digests.filter((digest) => !named.has(digest));
    if (unknown.length > 0) throw new InvalidRequestError(`snapshot ${snapshot.snapshotId} has no chunk ${unknown[0]}`, { unknown });
    return { urls: await Promise.all([...new Set(request.digests)].map((digest) => deps.objects.presignGet(snapshot.lineageId, digest, URL_EXPIRY_SECONDS))), held: [] };
  }
  const snapshot = await snapshotOfHost(deps, hostId, request.snapshotId);
  if (snapshot.status !== SnapshotStatus.pending) throw new InvalidStateError(`snapshot ${snapshot.snapshotId} is ${snapshot.status}, not pending`);
  const count = chunkCount(sizeBytesOf(snapshot));
  const past = request.chunks.find((chunk) => chunk.index >= count);
  if (past) throw new InvalidRequestError(`chunk ${past.index} is past the end of a ${snapshot.sizeGiB} GiB volume (${count} chunks)`);
  await deps.objects.putManifestPart(snapshot.lineageId, snapshot.snapshotId, request.chunks);
  const parent = snapshot.parentSnapshotId ? await deps.objects.getManifest(snapshot.lineageId, snapshot.parentSnapshotId) : undefined;
  const heldByParent = parent ? digestsOf(parent) : new Set<string>();
  const digests = [...new Set(request.chunks.map((chunk) => chunk.digest))];
  // A chunk the lineage already stores outside the parent (a failed or crashed attempt uploaded it) is not sent again.
  const stored = await deps.objects.existing(snapshot.lineageId, digests.filter((digest) => !heldByParent.has(digest)));
  const isHeld = (digest: string): boolean => heldByParent.has(digest) || stored.has(digest);
  const held = digests.filter(isHeld);
  const urls = await Promise.all(digests.filter((digest) => !isHeld(digest)).map((digest) => deps.objects.presignPut(snapshot.lineageId, digest, URL_EXPIRY_SECONDS)));
  await recordProgress(deps, snapshot, (Math.max(...request.chunks.map((chunk) => chunk.index)) + 1) / count);
  return { urls, held };
}

async function recordProgress(deps: ChunkUrlsDeps, snapshot: Snapshot, fraction: number): Promise<void> {
  const next = changeSnapshot(snapshot, { type: 'progress', percent: fraction * 100 }, deps.now());
  if (next.progressPercent === snapshot.progressPercent) return;
  try {
    await deps.snapshots.save(next);
  } catch (error) {
    // Deliberately swallowed: progress is advisory and the next batch reports it again.
    if (!(error instanceof VersionConflictError)) throw error;
  }
}
