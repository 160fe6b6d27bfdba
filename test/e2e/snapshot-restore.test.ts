/**
 * Issue 9, restore into new volumes, on the local fleet (real agents, storage daemons and NBD, the
 * deployed control plane): POST /volumes with `snapshotId` makes each new copy's host fill its file
 * from the snapshot through presigned GETs before serving it. The restored volume's image, read
 * over NBD, hashes like the idle source's; bad requests are 4xx and create nothing; a chunk that
 * no longer matches its digest fails the creation naming the chunk.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3SnapshotObjects } from '../../adapters/s3-snapshot-objects';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { chunkKey } from '../../core/snapshots/chunk';
import { AckedWriter, verifyAckedWrites } from './support/acked-writes';
import { endpointOf } from './support/attachment-follower';
import { eventually, httpAs, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { exportSha256 } from './support/nbd-clients';
import { snapshotEnded, startSnapshot, type SnapshotView } from './support/snapshot-steps';

jest.setTimeout(600_000);

const tenant = volumesAs('a');
const http = httpAs(identities.tenants.a);
const other = httpAs(identities.tenants.b);
const fleet = new LocalFleetVolumes(`e2e-r${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-restore-');
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const bucket = outputs.BlockplaneSnapshots.SnapshotsBucketName;
const s3 = new S3Client({ forcePathStyle: true });
const objects = new S3SnapshotObjects(bucket, s3);

beforeAll(() => fleet.start());
afterAll(() => fleet.stop());

async function snapshot(volumeId: string): Promise<SnapshotView> {
  return snapshotEnded(http, (await startSnapshot(http, volumeId)).snapshotId);
}

/** Polls the creating volume until it settles, keeping every restoreProgressPercent it showed. */
async function settled(volumeId: string): Promise<{ volume: VolumeView; seen: number[] }> {
  const seen: number[] = [];
  const volume = await eventually(async () => {
    const view = ok<VolumeView>(await tenant.get(volumeId));
    if (view.restoreProgressPercent !== undefined) seen.push(view.restoreProgressPercent);
    return view.status === 'creating' ? undefined : view;
  }, 240_000, `volume ${volumeId} to settle`, 250);
  return { volume, seen };
}

async function volumeIdsInLocation(): Promise<string[]> {
  return ok<{ volumes: VolumeView[] }>(await tenant.list({ location: fleet.location })).volumes.map((volume) => volume.volumeId).sort();
}

let source: VolumeView;
let sourceSnapshot: SnapshotView;

test('a snapshot of an idle volume restores through POST /volumes to a volume whose NBD image has the same sha256 and every acknowledged write', async () => {
  // Given a 2 GiB volume written by an acknowledging writer, then idle, and its snapshot
  source = await fleet.createAvailableVolume({ sizeGiB: 2, type: 'ssd' });
  const attachment = ok<AttachmentView>(await tenant.attach(source.volumeId));
  const endpointFile = fleet.endpointFile('source', endpointOf(attachment));
  const log = join(fleet.work, 'writer.log');
  const writer = new AckedWriter(endpointFile, log, join(fleet.work, 'writer.stop'), { blocks: 8_192 });
  await eventually(async () => (writer.progress().acked > 1_500 ? true : undefined), 60_000, 'the writer to get 1,500 acknowledgements');
  await writer.stop();
  sourceSnapshot = await snapshot(source.volumeId);
  expect(sourceSnapshot.status).toBe('completed');
  const sourceSha = await exportSha256(endpointOf(attachment), fleet.work);

  // When a volume is created from it (on the hdd disks: the ssd ones hold the source)
  const created = ok<VolumeView>(await tenant.create({ sizeGiB: 2, type: 'hdd', location: fleet.location, snapshotId: sourceSnapshot.snapshotId }));
  expect(created).toMatchObject({ status: 'creating', snapshotId: sourceSnapshot.snapshotId, restoreProgressPercent: 0 });
  const { volume, seen } = await settled(created.volumeId);

  // Then it is available, its progress only rose to 100, and its image is the source's
  expect(volume).toMatchObject({ status: 'available', snapshotId: sourceSnapshot.snapshotId, restoreProgressPercent: 100 });
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  const restored = ok<AttachmentView>(await tenant.attach(volume.volumeId));
  expect(await exportSha256(endpointOf(restored), fleet.work)).toBe(sourceSha);
  const restoredFile = fleet.endpointFile('restored', endpointOf(restored));
  expect((await verifyAckedWrites({ endpointFile: restoredFile }, log)).lost).toEqual([]);

  // And it starts its own lineage: its first snapshot has no parent
  const own = await snapshot(volume.volumeId);
  expect(own.status).toBe('completed');
  expect(own.parentSnapshotId).toBeUndefined();

  // (its hdd room is needed by the last test)
  ok(await tenant.detach(volume.volumeId, restored.attachmentId));
  expect((await tenant.delete(volume.volumeId)).status).toBe(202);
  await eventually(async () => {
    const response = await tenant.get(volume.volumeId);
    return response.status === 404 || ok<VolumeView>(response).status === 'deleted' ? true : undefined;
  }, 120_000, `volume ${volume.volumeId} to be deleted`, 500);
});

test('bad restore requests are 4xx and create nothing: smaller than the snapshot 400, unknown 404, another tenant\'s 404, malformed 400', async () => {
  // Given
  const before = await volumeIdsInLocation();
  const base = { type: 'ssd', location: fleet.location };
  // When / Then
  const smaller = await http.request('POST', '/volumes', { ...base, sizeGiB: 1, snapshotId: sourceSnapshot.snapshotId });
  expect(smaller.status).toBe(400);
  expect(smaller.text).toContain('smaller than snapshot');
  expect((await http.request('POST', '/volumes', { ...base, sizeGiB: 2, snapshotId: 'snap-0123456789abcdef0' })).status).toBe(404);
  expect((await other.request('POST', '/volumes', { ...base, sizeGiB: 2, snapshotId: sourceSnapshot.snapshotId })).status).toBe(404);
  expect((await http.request('POST', '/volumes', { ...base, sizeGiB: 2, snapshotId: 'snap-nothex' })).status).toBe(400);
  expect(await volumeIdsInLocation()).toEqual(before);
});

test('a chunk whose bytes no longer match its digest fails the restore: the volume is error naming the chunk', async () => {
  // Given one chunk object of the snapshot overwritten with other bytes (as a damaged store would)
  const manifest = (await objects.getManifest(source.volumeId, sourceSnapshot.snapshotId))!;
  const victim = manifest.chunks[0];
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: chunkKey(source.volumeId, victim.digest), Body: randomBytes(victim.lengthBytes) }));
  // When
  const created = ok<VolumeView>(await tenant.create({ sizeGiB: 2, type: 'hdd', location: fleet.location, snapshotId: sourceSnapshot.snapshotId }));
  const { volume } = await settled(created.volumeId);
  // Then
  expect(volume.status).toBe('error');
  expect(volume.statusReason).toMatch(/^CorruptChunk: host \S+ failed create-copy: /);
  expect(volume.statusReason).toContain(`chunk ${victim.index} (${victim.digest}) is corrupt`);
  expect(volume).not.toHaveProperty('restoreProgressPercent');
});
