/**
 * Issue 9 on the local fleet: real agents and storage daemons in their namespaces, the deployed
 * control plane on the local cloud. A volume written by an acknowledging writer is snapshotted
 * through the API; the agent uploads through presigned URLs only; the test (with S3 access, as
 * an auditor) restores the manifest into a file with the agent's own restorer and compares.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { S3SnapshotObjects } from '../../adapters/s3-snapshot-objects';
import { restoreSnapshot } from '../../agent/snapshots/snapshot-restorer';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { digestsOf, type Manifest } from '../../core/snapshots/manifest';
import { TestUrlSource } from '../agent/helpers/s3-chunk-urls';
import { AckedWriter, verifyAckedWrites } from './support/acked-writes';
import { endpointOf } from './support/attachment-follower';
import { eventually, httpAs, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { copyDataFile } from './support/nbd-clients';
import { uploadedLine } from './support/snapshot-steps';

jest.setTimeout(600_000);

interface SnapshotView {
  readonly snapshotId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly progressPercent: number;
  readonly parentSnapshotId?: string;
  readonly changedBytes?: number;
  readonly storedBytes?: number;
}

const tenant = volumesAs('a');
const http = httpAs(identities.tenants.a);
const other = httpAs(identities.tenants.b);
const fleet = new LocalFleetVolumes(`e2e-s${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-snap-');
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const bucket = outputs.BlockplaneSnapshots.SnapshotsBucketName;
const s3 = new S3Client({ forcePathStyle: true });
const objects = new S3SnapshotObjects(bucket, s3);
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(() => fleet.start());
afterAll(() => fleet.stop());

async function snapshot(volumeId: string): Promise<SnapshotView> {
  const started = ok<SnapshotView>(await http.request('POST', `/volumes/${volumeId}/snapshots`, { description: 'e2e' }));
  expect(started.status).toBe('pending');
  return eventually(
    async () => {
      const seen = ok<SnapshotView>(await http.request('GET', `/snapshots/${started.snapshotId}`));
      return seen.status === 'pending' ? undefined : seen;
    },
    240_000,
    `snapshot ${started.snapshotId} to end`,
    500,
  );
}

async function restored(volumeId: string, snapshotId: string): Promise<{ file: string; manifest: Manifest }> {
  const manifest = (await objects.getManifest(volumeId, snapshotId))!;
  const file = join(fleet.work, `${snapshotId}.raw`);
  writeFileSync(file, '');
  await restoreSnapshot(manifest, file, new TestUrlSource(objects, volumeId));
  return { file, manifest };
}

async function chunkObjects(volumeId: string): Promise<number> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `chunks/${volumeId}/` }));
  return page.KeyCount ?? 0;
}

function primaryHost(volume: VolumeView) {
  const primary = volume.copies.find((copy) => copy.role === 'primary')!;
  return fleet.hosts.find((candidate) => candidate.hostId === primary.hostId)!;
}

function primaryFile(volume: VolumeView): string {
  const primary = volume.copies.find((copy) => copy.role === 'primary')!;
  return copyDataFile(primaryHost(volume).dataDir, primary.copyId)!;
}

test('snapshots of a written volume restore to the same sha256, the second uploads only the changed chunks, deleting the first keeps the second restorable, and another tenant gets 404', async () => {
  // Given a volume written by an acknowledging writer (stopped: the volume is idle)
  const volume = await fleet.createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const attachment = ok<AttachmentView>(await tenant.attach(volume.volumeId));
  const endpointFile = fleet.endpointFile('endpoint', endpointOf(attachment));
  const log = join(fleet.work, 'writer.log');
  const writer = new AckedWriter(endpointFile, log, join(fleet.work, 'writer.stop'), { blocks: 16_384 });
  await eventually(async () => (writer.progress().acked > 2_000 ? true : undefined), 60_000, 'the writer to get 2,000 acknowledgements');
  await writer.stop();

  // When the first snapshot is taken
  const first = await snapshot(volume.volumeId);

  // Then it completed, restores to the primary's exact bytes and holds every acknowledged write
  expect(first).toMatchObject({ status: 'completed', progressPercent: 100 });
  const one = await restored(volume.volumeId, first.snapshotId);
  expect(sha(one.file)).toBe(sha(primaryFile(volume)));
  expect((await verifyAckedWrites({ file: one.file }, log)).lost).toEqual([]);
  // zero chunks are not stored: far fewer than the 1,024 chunks of 1 GiB
  expect(one.manifest.chunks.length).toBeLessThan(1_024);
  expect(await chunkObjects(volume.volumeId)).toBe(digestsOf(one.manifest).size);

  // When 1 MiB at 256 MiB (zero until now) is written and a second snapshot is taken
  const log2 = join(fleet.work, 'writer2.log');
  const writer2 = new AckedWriter(endpointFile, log2, join(fleet.work, 'writer2.stop'), { blocks: 256, firstBlock: 65_536 });
  await eventually(async () => (writer2.progress().ended ? true : undefined), 60_000, 'the second writer to write its 256 blocks');
  await writer2.stop();
  const second = await snapshot(volume.volumeId);

  // Then it is incremental: the primary read only the chunks its dirty bitmap marked since the first, and uploaded only chunks the first does not hold (counted in the bucket)
  expect(second).toMatchObject({ status: 'completed', parentSnapshotId: first.snapshotId });
  const figures = uploadedLine(primaryHost(volume).logFile, second.snapshotId);
  expect(figures).toMatchObject({ incrementalFrom: first.snapshotId });
  expect(figures!.readChunks).toBeGreaterThan(0);
  expect(figures!.readChunks).toBeLessThanOrEqual(2);
  const two = await restored(volume.volumeId, second.snapshotId);
  const fresh = [...digestsOf(two.manifest)].filter((digest) => !digestsOf(one.manifest).has(digest));
  expect(fresh.length).toBeGreaterThan(0);
  expect(fresh.length).toBeLessThanOrEqual(2);
  expect(await chunkObjects(volume.volumeId)).toBe(digestsOf(one.manifest).size + fresh.length);
  expect(second.changedBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
  expect(sha(two.file)).toBe(sha(primaryFile(volume)));

  // And another tenant sees none of it
  expect((await other.request('GET', `/snapshots/${first.snapshotId}`)).status).toBe(404);
  expect((await other.request('POST', `/volumes/${volume.volumeId}/snapshots`, {})).status).toBe(404);
  expect((await other.request('DELETE', `/snapshots/${first.snapshotId}`)).status).toBe(404);

  // When the first snapshot is deleted
  expect((await http.request('DELETE', `/snapshots/${first.snapshotId}`)).status).toBe(202);
  await eventually(async () => ((await http.request('GET', `/snapshots/${first.snapshotId}`)).status === 404 ? true : undefined), 120_000, 'the first snapshot to be deleted', 500);

  // Then the chunks only it named are gone and the second still restores to the same bytes
  expect(await chunkObjects(volume.volumeId)).toBe(digestsOf(two.manifest).size);
  const again = await restored(volume.volumeId, second.snapshotId);
  expect(sha(again.file)).toBe(sha(two.file));
});
