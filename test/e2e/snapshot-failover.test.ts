/**
 * Issue 9, a fail-over in the middle of a snapshot, on the local fleet: the primary's host is
 * killed (daemons SIGKILLed, agent gone) while it uploads the snapshot and the acknowledging writer
 * writes. The snapshot ends `error` with a reason (it is not retried on the promoted mirror) and
 * never `completed` with wrong data; the volume keeps every acknowledged write on its new primary;
 * a snapshot taken afterwards completes and restores to the same image.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killHost } from '../../local/local-fleet';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { AckedWriter, verifyAckedWrites } from './support/acked-writes';
import { endpointOf } from './support/attachment-follower';
import { eventually, httpAs, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { exportSha256, publishEndpoint, writeOverNbd } from './support/nbd-clients';
import { copyFileOf, restoreInto, snapshotEnded, startSnapshot, type SnapshotView } from './support/snapshot-steps';

jest.setTimeout(600_000);

const tenant = volumesAs('a');
const http = httpAs(identities.tenants.a);
const fleet = new LocalFleetVolumes(`e2e-f${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-snapfo-');
/** 512 MiB of random data at the start: 512 distinct chunks, so the upload lasts long enough to be cut. */
const RANDOM_BYTES = 512 * 1024 * 1024;
/** The writer writes fresh 4 KiB blocks after the random data. */
const WRITER_FIRST_BLOCK = RANDOM_BYTES / 4096;

beforeAll(() => fleet.start());
afterAll(() => fleet.stop());

test('when the primary dies while it uploads a snapshot, the snapshot ends error with a reason, every acknowledged write stays, and a new snapshot completes and restores', async () => {
  // Given a volume with 512 MiB of random data and the acknowledging writer running after it
  const volume = await fleet.createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const attachment = ok<AttachmentView>(await tenant.attach(volume.volumeId));
  const random = join(fleet.work, 'random.bin');
  writeFileSync(random, randomBytes(RANDOM_BYTES));
  await writeOverNbd(endpointOf(attachment), fleet.work, random);
  const endpointFile = fleet.endpointFile('writer', endpointOf(attachment));
  const log = join(fleet.work, 'writer.log');
  const writer = new AckedWriter(endpointFile, log, join(fleet.work, 'writer.stop'), { blocks: 60_000, firstBlock: WRITER_FIRST_BLOCK, ioTimeoutSeconds: 5 });
  await eventually(async () => (writer.progress().acked > 500 ? true : undefined), 60_000, 'the writer to get 500 acknowledgements');

  // When a snapshot is uploading (pending, part of it handed over) and the primary's host is killed
  const started = await startSnapshot(http, volume.volumeId);
  const uploading = await eventually(async () => {
    const seen = ok<SnapshotView>(await http.request('GET', `/snapshots/${started.snapshotId}`));
    return seen.status !== 'pending' || seen.progressPercent > 0 ? seen : undefined;
  }, 120_000, 'the snapshot to be uploading', 100);
  expect(uploading).toMatchObject({ status: 'pending' });
  const primaryHost = fleet.hosts.find((host) => host.hostId === attachment.hostId)!;
  expect(killHost(primaryHost).length).toBeGreaterThanOrEqual(1);

  // Then the snapshot ends error with a reason, and nothing was completed from the dead host
  const ended = await snapshotEnded(http, started.snapshotId);
  expect(ended.status).toBe('error');
  expect(ended.statusReason).toBeTruthy();

  // And the volume fails over: the writer follows the attachment to the new primary and goes on
  const moved = await eventually(async () => {
    const now = ok<AttachmentView>(await http.request('GET', `/volumes/${volume.volumeId}/attachments/${attachment.attachmentId}`));
    return now.hostId !== attachment.hostId ? now : undefined;
  }, 120_000, 'the attachment to name a new primary', 500);
  publishEndpoint(endpointFile, endpointOf(moved));
  const acksAtFailover = writer.progress().acked;
  await eventually(async () => (writer.progress().acked > acksAtFailover + 300 ? true : undefined), 90_000, 'the writer to go on on the new primary');
  await writer.stop();
  const kept = await verifyAckedWrites({ endpointFile }, log);
  expect(kept.lost).toEqual([]);
  expect(kept.ackedWrites).toBeGreaterThan(800);

  // When the volume is healthy again (a new mirror) and idle, and a new snapshot is taken
  await fleet.volumeIn(volume.volumeId, ['in-use'], 240_000);
  const again = await snapshotEnded(http, (await startSnapshot(http, volume.volumeId)).snapshotId);

  // Then it completes and restores to the volume's image, with every acknowledged write
  expect(again.status).toBe('completed');
  const restored: VolumeView = await restoreInto(tenant, fleet, again.snapshotId, 1);
  expect(restored.status).toBe('available');
  expect((await verifyAckedWrites({ file: copyFileOf(fleet, restored, 'primary') }, log)).lost).toEqual([]);
  const restoredAttachment = ok<AttachmentView>(await tenant.attach(restored.volumeId));
  expect(await exportSha256(endpointOf(restoredAttachment), fleet.work)).toBe(await exportSha256(endpointOf(moved), fleet.work));
});
