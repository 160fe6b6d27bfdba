/**
 * Issue 9, the upload faults on the local fleet with the deployed control plane: every agent sends
 * its presigned-URL transfers through a fault proxy (`--transfer-proxy`, a forward proxy: the URL
 * and its Host stay as signed). S3 throttling (503 SlowDown) and expired URLs (403 "Request has
 * expired") are injected there and survived; an agent SIGKILLed mid-upload and restarted makes the
 * control plane fail its copy over, the snapshot fails cleanly, and the next snapshot, from the new
 * primary, sends none of the chunks the crashed upload stored (every PUT S3 accepted is counted per
 * object at the proxy) and restores to the volume's bytes.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3SnapshotObjects } from '../../adapters/s3-snapshot-objects';
import { restoreSnapshot } from '../../agent/snapshots/snapshot-restorer';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { digestsOf } from '../../core/snapshots/manifest';
import { startAgent, storageDaemonPids } from '../../local/local-fleet';
import { TestUrlSource } from '../agent/helpers/s3-chunk-urls';
import { FaultProxy } from '../agent/helpers/s3-fault-proxy';
import { endpointOf } from './support/attachment-follower';
import { eventually, httpAs, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { writeOverNbd } from './support/nbd-clients';
import { copyFileOf, snapshotEnded, startSnapshot, uploadedLine } from './support/snapshot-steps';

jest.setTimeout(600_000);

const tenant = volumesAs('a');
const http = httpAs(identities.tenants.a);
const fleet = new LocalFleetVolumes(`e2e-u${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-snapfault-');
const hostIdentities = [identities.hosts.h1, identities.hosts.h2, identities.hosts.h3];
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const objects = new S3SnapshotObjects(outputs.BlockplaneSnapshots.SnapshotsBucketName, new S3Client({ forcePathStyle: true }));
const proxy = new FaultProxy(new URL(process.env.AWS_ENDPOINT_URL!));
const MiB = 1024 * 1024;
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  await proxy.start();
  await fleet.start(hostIdentities, { transferProxy: `http://127.0.0.1:${proxy.port}` });
});
afterAll(async () => {
  await fleet.stop();
  await proxy.stop();
});

/** A 1 GiB volume whose first `mib` MiB are random (one distinct chunk per MiB), then idle. */
async function volumeWithRandomData(mib: number): Promise<VolumeView> {
  const volume = await fleet.createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const attachment = ok<AttachmentView>(await tenant.attach(volume.volumeId));
  const data = join(fleet.work, `${volume.volumeId}.bin`);
  writeFileSync(data, randomBytes(mib * MiB));
  await writeOverNbd(endpointOf(attachment), fleet.work, data);
  return volume;
}

/** The snapshot's manifest restored into a file with the agent's restorer (the test reads S3 as an auditor). */
async function restoredFile(volumeId: string, snapshotId: string): Promise<{ file: string; digests: Set<string> }> {
  const manifest = (await objects.getManifest(volumeId, snapshotId))!;
  const file = join(fleet.work, `${snapshotId}.raw`);
  writeFileSync(file, '');
  await restoreSnapshot(manifest, file, new TestUrlSource(objects, volumeId));
  return { file, digests: digestsOf(manifest) };
}

test('when S3 throttles three PUTs and two URLs arrive expired, the snapshot completes: the throttled PUTs are retried after a backoff, the expired ones renewed, every chunk stored once', async () => {
  // Given a volume with 64 MiB of random data
  const volume = await volumeWithRandomData(64);
  proxy.reset();
  proxy.failNext = 3;
  proxy.expireNext = 2;

  // When a snapshot is taken
  const snapshot = await snapshotEnded(http, (await startSnapshot(http, volume.volumeId)).snapshotId);

  // Then it completed and every chunk object was accepted exactly once
  expect(snapshot).toMatchObject({ status: 'completed', progressPercent: 100 });
  const restored = await restoredFile(volume.volumeId, snapshot.snapshotId);
  expect(restored.digests.size).toBe(64);
  expect(proxy.putsPerPath.size).toBe(64);
  expect(Math.max(...proxy.putsPerPath.values())).toBe(1);
  // each throttled PUT was sent again, with the same URL, after at least the first backoff (100 ms - 20 %)
  const throttled = proxy.pathsAnswered('throttled');
  expect(throttled).toHaveLength(3);
  for (const path of throttled) {
    const requests = proxy.requestsPerPath.get(path)!;
    const first = requests.findIndex((request) => request.answer === 'throttled');
    const next = requests[first + 1];
    expect(next).toBeDefined();
    expect(next.signature).toBe(requests[first].signature);
    expect(next.at - requests[first].at).toBeGreaterThanOrEqual(80);
  }
  // each expired PUT was sent again and accepted (with the URL the control plane signed again: a
  // renewal signed within the same second as the first URL is the same URL, so the agent's count below is the evidence)
  const expired = proxy.pathsAnswered('expired');
  expect(expired).toHaveLength(2);
  for (const path of expired) {
    const requests = proxy.requestsPerPath.get(path)!;
    const first = requests.findIndex((request) => request.answer === 'expired');
    expect(requests.slice(first + 1).some((request) => request.answer === 200)).toBe(true);
  }
  // the agent counted the same
  const primaryHost = fleet.hosts.find((host) => host.hostId === volume.copies.find((copy) => copy.role === 'primary')!.hostId)!;
  expect(uploadedLine(primaryHost.logFile, snapshot.snapshotId)).toMatchObject({ retries: 3, renewals: 2, uploadedChunks: 64 });
  // and the snapshot restores to the primary's bytes
  expect(sha(restored.file)).toBe(sha(copyFileOf(fleet, volume, 'primary')));
});

test('when the primary\'s agent is SIGKILLed mid-upload and restarted, the snapshot fails cleanly, the copy resumes, and the next snapshot sends no chunk the crashed upload stored and restores to the same bytes', async () => {
  // Given a volume with 256 MiB of random data (256 distinct chunks, four batches)
  const volume = await volumeWithRandomData(256);
  const primary = volume.copies.find((copy) => copy.role === 'primary')!;
  const host = fleet.hosts.find((candidate) => candidate.hostId === primary.hostId)!;
  proxy.reset();
  proxy.holdPutsAfter = 64;

  // When a snapshot has stored 64 chunks and the agent's next PUTs are held at the proxy (none in flight at S3)
  const crashed = await startSnapshot(http, volume.volumeId);
  await eventually(async () => (proxy.acceptedPuts() === 64 && proxy.heldPuts > 0 ? true : undefined), 180_000, '64 chunks stored and the next PUTs held', 100);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const storedBeforeCrash = new Set(proxy.putsPerPath.keys());
  // and its agent is SIGKILLed (its daemons keep running) and started again
  const daemons = storageDaemonPids(host);
  expect(daemons.length).toBeGreaterThan(0);
  host.agent!.kill('SIGKILL');
  await eventually(async () => (host.agent!.exitCode !== null || host.agent!.signalCode !== null ? true : undefined), 10_000, 'the agent to die');
  expect(storageDaemonPids(host)).toEqual(daemons);
  startAgent(host, hostIdentities[host.index - 1], { transferProxy: `http://127.0.0.1:${proxy.port}` });
  proxy.holdPutsAfter = undefined;

  // Then the snapshot ends error with a reason (its upload died with the agent)
  const ended = await snapshotEnded(http, crashed.snapshotId);
  expect(ended.status).toBe('error');
  expect(ended.statusReason).toBeTruthy();

  // When the restarted agent stopped the daemons its predecessor left running cleanly, and the
  // primary resumed as it was (docs/recovery.md, "Clean restart"), a new snapshot is taken
  const healed = await eventually(async () => {
    const now = ok<VolumeView>(await tenant.get(volume.volumeId));
    const roles = now.copies.map((copy) => copy.role).sort();
    return ['available', 'in-use'].includes(now.status) && roles.join() === 'mirror,primary' && now.copies.some((copy) => copy.copyId === primary.copyId && copy.role === 'primary') ? now : undefined;
  }, 300_000, 'the volume to serve again', 500);
  await eventually(async () => (readFileSync(host.logFile, 'utf8').includes('resumed after a clean stop') ? true : undefined), 60_000, 'the primary to resume', 250);
  const retried = await snapshotEnded(http, (await startSnapshot(http, volume.volumeId)).snapshotId);

  // Then it completes from the resumed primary, and no chunk was PUT twice across both uploads
  expect(retried.status).toBe('completed');
  const restored = await restoredFile(volume.volumeId, retried.snapshotId);
  expect(restored.digests.size).toBe(256);
  expect(storedBeforeCrash.size).toBe(64);
  expect(Math.max(...proxy.putsPerPath.values())).toBe(1);
  expect(proxy.putsPerPath.size).toBe(256);
  const newPrimaryHost = fleet.hosts.find((candidate) => candidate.hostId === healed.copies.find((copy) => copy.role === 'primary')!.hostId)!;
  expect(uploadedLine(newPrimaryHost.logFile, retried.snapshotId)).toMatchObject({ uploadedChunks: 256 - 64 });
  // and it restores to the primary's bytes
  expect(sha(restored.file)).toBe(sha(copyFileOf(fleet, healed, 'primary')));
});
