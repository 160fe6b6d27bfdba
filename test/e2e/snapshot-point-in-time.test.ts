/**
 * Issue 9, the point in time, on the local fleet: a snapshot taken while the acknowledging writer
 * keeps writing (to fresh blocks, logging when each write was issued and acknowledged) restores,
 * through POST /volumes with snapshotId, to a volume holding every write acknowledged before the
 * snapshot was requested and none issued after the snapshot's `pointAt` (when the host's
 * copy-before-write filter was in place). Writes in flight across the moment may be either way.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ok, type AttachmentView } from '../../client/blockplane-api';
import { AckedWriter } from './support/acked-writes';
import { endpointOf } from './support/attachment-follower';
import { eventually, httpAs, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { checkPointInTime, describeMisplaced, writeTimes } from './support/point-in-time';
import { copyFileOf, restoreInto, snapshotEnded, startSnapshot } from './support/snapshot-steps';

jest.setTimeout(600_000);

const tenant = volumesAs('a');
const http = httpAs(identities.tenants.a);
const fleet = new LocalFleetVolumes(`e2e-p${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-pit-');

beforeAll(() => fleet.start());
afterAll(() => fleet.stop());

test('a snapshot taken under a running writer holds every write acknowledged before the request and none issued after its pointAt', async () => {
  // Given a volume with the acknowledging writer running
  const volume = await fleet.createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const attachment = ok<AttachmentView>(await tenant.attach(volume.volumeId));
  const log = join(fleet.work, 'writer.log');
  const writer = new AckedWriter(fleet.endpointFile('writer', endpointOf(attachment)), log, join(fleet.work, 'writer.stop'), { blocks: 200_000 });
  await eventually(async () => (writer.progress().acked > 1_000 ? true : undefined), 60_000, 'the writer to get 1,000 acknowledgements');

  // When a snapshot is requested while it writes, and it keeps writing until well after the snapshot ended
  const requestedAt = Date.now();
  const started = await startSnapshot(http, volume.volumeId);
  const taken = await snapshotEnded(http, started.snapshotId);
  const acksAtEnd = writer.progress().acked;
  await eventually(async () => (writer.progress().acked > acksAtEnd + 500 || writer.progress().ended ? true : undefined), 60_000, 'the writer to go on after the snapshot');
  await writer.stop();

  // Then the snapshot completed with its moment after the request
  expect(taken).toMatchObject({ status: 'completed', progressPercent: 100 });
  const pointAt = Date.parse(taken.pointAt!);
  expect(pointAt).toBeGreaterThanOrEqual(requestedAt);

  // And the volume restored from it holds exactly the writes of its side of the moment
  const restored = await restoreInto(tenant, fleet, taken.snapshotId, 1);
  expect(restored).toMatchObject({ status: 'available' });
  const moment = { ackedBefore: requestedAt, issuedAfter: pointAt };
  const check = checkPointInTime(copyFileOf(fleet, restored, 'primary'), writeTimes(log), moment);
  expect([...describeMisplaced('missing', check.missing, moment), ...describeMisplaced('leaked', check.leaked, moment)]).toEqual([]);
  expect(check.ackedBeforeCount).toBeGreaterThan(1_000);
  expect(check.issuedAfterCount).toBeGreaterThan(500);
  console.log(`point in time: ${check.ackedBeforeCount} acknowledged before the request (all in), ${check.issuedAfterCount} issued after pointAt (none in), ${check.inFlight} across the moment`);
});
