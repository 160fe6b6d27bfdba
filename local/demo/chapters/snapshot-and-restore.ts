import { ok, type VolumeView } from '../../../client/blockplane-api';
import { copyFileOf, volumeReaching, type DemoContext } from '../demo-context';
import type { AttachedVolume } from './attach-and-write';

interface SnapshotView {
  readonly snapshotId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly storedBytes?: number;
}

/** Snapshots the volume while the writer runs, restores it into a new volume, and checks the writes acknowledged before the request are there. */
export async function snapshotAndRestore(demo: DemoContext, attached: AttachedVolume): Promise<void> {
  const { story, tenant } = demo;
  const { volumeId } = attached.volume;
  story.chapter('3. Snapshot while writing, restore into a new volume');
  const requestedAt = Date.now();
  const requested = ok<SnapshotView>(await tenant.http.request('POST', `/volumes/${volumeId}/snapshots`, { description: 'demo' }));
  const snapshot = await story.until('the snapshot to complete', async () => {
    const seen = ok<SnapshotView>(await tenant.http.request('GET', `/snapshots/${requested.snapshotId}`));
    if (seen.status === 'error') throw new Error(`snapshot failed: ${seen.statusReason ?? ''}`);
    return seen.status === 'completed' ? seen : undefined;
  });
  story.log(`  snapshot ${snapshot.snapshotId} completed in ${((Date.now() - requestedAt) / 1000).toFixed(1)} s, ${snapshot.storedBytes ?? 0} bytes stored in S3`);
  const restoredAt = Date.now();
  const created = ok<VolumeView>(await tenant.create({ sizeGiB: 2, type: 'ssd', location: demo.location, snapshotId: snapshot.snapshotId }));
  const restored = await volumeReaching(demo, tenant, created.volumeId, ['available']);
  story.log(`  volume ${restored.volumeId} restored from it in ${((Date.now() - restoredAt) / 1000).toFixed(1)} s`);
  const check = attached.writer.verify(copyFileOf(demo, restored.copies.find((copy) => copy.role === 'primary')!), requestedAt);
  ok(await tenant.delete(restored.volumeId));
  story.prove({
    chapter: 'snapshot + restore',
    proves: 'a snapshot taken under writes restores every write acknowledged before it',
    figures: `${check.acked} writes acknowledged before the request, ${check.lost} missing in the restored volume`,
    ok: check.acked > 0 && check.lost === 0,
  });
}
