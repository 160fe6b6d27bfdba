import { InvalidStateError } from '../../../../core/errors';
import { buildManifest, type Manifest, type ManifestChunk } from '../../../../core/snapshots/manifest';
import type { SnapshotObjects, SnapshotRepository } from '../../../../core/snapshots/ports';
import { pendingSnapshot, type Snapshot } from '../../../../core/snapshots/snapshot';
import { SnapshotStatus } from '../../../../core/snapshots/snapshot-status';
import { collectChunks } from '../../../../core/snapshots/use-cases/collect-chunks';
import { failSnapshot } from '../../../../core/snapshots/use-cases/finish-snapshot';
import { aVolumeId, TENANT } from '../../fakes/builders';

/**
 * The chunk GC of a deleted snapshot, and of one that failed: its host handed over entries (the
 * manifest parts) and uploaded their chunks, but no manifest names them.
 */
const NOW = new Date('2025-03-01T12:00:00.000Z');
const digest = (n: number) => n.toString(16).padStart(64, '0');
const chunk = (index: number, n: number): ManifestChunk => ({ index, digest: digest(n), lengthBytes: 1024 * 1024 });

class Store {
  readonly snapshots = new Map<string, Snapshot>();
  readonly manifests = new Map<string, Manifest>();
  readonly parts = new Map<string, ManifestChunk[]>();
  readonly chunks = new Set<string>();

  readonly repository: SnapshotRepository = {
    create: async () => {
      throw new Error('not used');
    },
    get: async (id) => this.snapshots.get(id),
    save: async (snapshot) => void this.snapshots.set(snapshot.snapshotId, snapshot),
    listByVolume: async () => ({ snapshots: [] }),
    listByTenant: async () => ({ snapshots: [] }),
    lineage: async (lineageId) => [...this.snapshots.values()].filter((s) => s.lineageId === lineageId && s.status !== SnapshotStatus.deleted),
  };

  readonly objects = {
    getManifest: async (_lineage: string, id: string) => this.manifests.get(id),
    deleteManifest: async (_lineage: string, id: string) => void this.manifests.delete(id),
    deleteChunks: async (_lineage: string, digests: readonly string[]) => digests.forEach((d) => this.chunks.delete(d)),
    manifestParts: async (_lineage: string, id: string) => [...(this.parts.get(id) ?? [])],
    deleteManifestParts: async (_lineage: string, id: string) => void this.parts.delete(id),
  } as unknown as SnapshotObjects;

  snapshot(volumeId: string, status: SnapshotStatus, chunks: readonly ManifestChunk[], asManifest: boolean): Snapshot {
    const snapshot = { ...pendingSnapshot({ tenantId: TENANT, volumeId, lineageId: volumeId, sizeGiB: 1, now: NOW }), status };
    this.snapshots.set(snapshot.snapshotId, snapshot);
    for (const c of chunks) this.chunks.add(c.digest);
    if (asManifest) this.manifests.set(snapshot.snapshotId, buildManifest({ snapshotId: snapshot.snapshotId, volumeId, lineageId: volumeId, sizeBytes: 1024 ** 3, chunks: [...chunks] }));
    else this.parts.set(snapshot.snapshotId, [...chunks]);
    return snapshot;
  }
}

const deps = (store: Store) => ({ snapshots: store.repository, objects: store.objects, now: () => NOW });

test('when a completed snapshot is deleted, exactly the chunks no other manifest names go', async () => {
  const store = new Store();
  const volumeId = aVolumeId();
  store.snapshot(volumeId, SnapshotStatus.completed, [chunk(0, 1), chunk(1, 2)], true);
  const deleted = store.snapshot(volumeId, SnapshotStatus.deleting, [chunk(0, 1), chunk(1, 3)], true);
  await expect(collectChunks(deps(store), deleted.snapshotId)).resolves.toEqual({ releasedChunks: 1 });
  expect([...store.chunks].sort()).toEqual([digest(1), digest(2)]);
  expect(store.snapshots.get(deleted.snapshotId)?.status).toBe(SnapshotStatus.deleted);
});

test('when a snapshot that failed mid-upload is deleted, the chunks its host uploaded that no manifest names go, and its entries with them', async () => {
  const store = new Store();
  const volumeId = aVolumeId();
  store.snapshot(volumeId, SnapshotStatus.completed, [chunk(0, 1)], true);
  const failing = store.snapshot(volumeId, SnapshotStatus.pending, [chunk(0, 1), chunk(1, 4), chunk(2, 5)], false);
  // The failure keeps the entries: they are the only record of what was uploaded
  await failSnapshot(deps(store), failing.snapshotId, 'host lost');
  expect(store.snapshots.get(failing.snapshotId)?.status).toBe(SnapshotStatus.error);
  expect(store.parts.get(failing.snapshotId)).toHaveLength(3);
  store.snapshots.set(failing.snapshotId, { ...store.snapshots.get(failing.snapshotId)!, status: SnapshotStatus.deleting });

  await expect(collectChunks(deps(store), failing.snapshotId)).resolves.toEqual({ releasedChunks: 2 });
  expect([...store.chunks]).toEqual([digest(1)]);
  expect(store.parts.has(failing.snapshotId)).toBe(false);
});

test('while another snapshot of the lineage is pending, nothing is collected (it may count on these chunks)', async () => {
  const store = new Store();
  const volumeId = aVolumeId();
  const deleted = store.snapshot(volumeId, SnapshotStatus.deleting, [chunk(0, 6)], false);
  store.snapshot(volumeId, SnapshotStatus.pending, [], false);
  await expect(collectChunks(deps(store), deleted.snapshotId)).rejects.toBeInstanceOf(InvalidStateError);
  expect(store.chunks.has(digest(6))).toBe(true);
});
