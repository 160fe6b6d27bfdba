import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { killHost, startAgent } from '../../local/local-fleet';
import { eventually, identities, volumesAs } from './support/local-cloud';
import { canConnect, copyDataFile, measureWriteIops, publishEndpoint, startVerifyingWriter, verifyWrites } from './support/nbd-clients';
import { endpointOf } from './support/attachment-follower';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { volumeRecord } from './support/tables';

jest.setTimeout(600_000);

const execFileAsync = promisify(execFile);

/**
 * Three storage hosts on this machine, each in its own network namespace with its own
 * loop-device disks and a real agent driving real qemu-storage-daemons, against the control
 * plane deployed on the local cloud. Data is written and read by real NBD clients (libnbd).
 */
const location = `e2e-r${randomUUID().slice(0, 6)}`;
const tenant = volumesAs('a');
const fleet = new LocalFleetVolumes(location, tenant, 'bp-e2e-');
const hosts = fleet.hosts;
const work = fleet.work;
const volumeIn = fleet.volumeIn.bind(fleet);
const createAvailableVolume = fleet.createAvailableVolume.bind(fleet);
const endpointFile = fleet.endpointFile.bind(fleet);
const writers: ChildProcess[] = [];

beforeAll(() => fleet.start());

afterAll(async () => {
  for (const writer of writers) if (writer.exitCode === null) writer.kill('SIGKILL');
  await fleet.stop();
});

test('when the primary host dies while a client writes, every acknowledged write is on the new primary and on the new mirror, and the old primary never serves again', async () => {
  // Given a replicated volume, attached, with a self-verifying writer running
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const first = ok<AttachmentView>(await tenant.http.request('POST', `/volumes/${volume.volumeId}/attachments`));
  expect(first.nbd.address).toMatch(/^10\.77\.0\./);
  const endpoint = endpointFile('writer', endpointOf(first));
  const log = join(work, 'writer.log');
  const stop = join(work, 'writer.stop');
  const blocks = 4096;
  const writer = startVerifyingWriter(endpoint, log, stop, blocks);
  writers.push(writer);
  const acks = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('k ')).length : 0);
  await eventually(async () => (acks() > 2000 ? true : undefined), 60_000, 'the writer to get 2000 acknowledgements');
  const before = await volumeRecord(volume.volumeId);
  const primaryHost = hosts.find((h) => h.hostId === first.hostId)!;
  const mirrorHostId = before.copies.find((c) => c.role === 'mirror')!.hostId;

  // When the primary's host dies (its daemons SIGKILLed, heartbeats stop)
  const killed = killHost(primaryHost);
  expect(killed.length).toBeGreaterThanOrEqual(2);

  // Then the mirror is promoted and the attachment names the new primary
  const moved = await eventually(
    async () => {
      const now = ok<AttachmentView>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/attachments/${first.attachmentId}`).catch(() => undefined as never));
      return now.hostId !== first.hostId ? now : undefined;
    },
    90_000,
    'the attachment to name a new primary',
    500,
  );
  expect(moved.hostId).toBe(mirrorHostId);
  expect(moved.generation).toBe(first.generation + 1);
  const degraded = ok<VolumeView>(await tenant.get(volume.volumeId));
  expect(['degraded', 'in-use']).toContain(degraded.status);
  publishEndpoint(endpoint, endpointOf(moved));

  // And the writer continues against the new primary
  const acksAtFailover = acks();
  await eventually(async () => (acks() > acksAtFailover + 1000 ? true : undefined), 60_000, 'the writer to continue on the new primary');

  // And a new mirror is built on the third host and the volume is healthy again
  const healthy = await volumeIn(volume.volumeId, ['in-use'], 180_000);
  const third = hosts.find((h) => h.hostId !== primaryHost.hostId && h.hostId !== mirrorHostId)!;
  expect(healthy.copies.map((c) => [c.role, c.hostId]).sort()).toEqual([['mirror', third.hostId], ['primary', mirrorHostId]].sort());
  expect(healthy.generation).toBe(first.generation + 1);

  writeFileSync(stop, '');
  await new Promise((resolve) => writer.once('exit', resolve));

  // Then every acknowledged write is on the new primary (over NBD) and on the new mirror (its file)
  const onPrimary = await verifyWrites({ endpointFile: endpoint }, log, blocks);
  expect(onPrimary.lostCount).toBe(0);
  expect(onPrimary.ackedWrites).toBeGreaterThan(3000);
  const after = await volumeRecord(volume.volumeId);
  const newMirror = after.copies.find((c) => c.role === 'mirror')!;
  const mirrorFile = copyDataFile(third.dataDir, newMirror.copyId);
  expect(mirrorFile).toBeDefined();
  const onMirror = await verifyWrites({ file: mirrorFile! }, log, blocks);
  expect(onMirror).toMatchObject({ lostCount: 0, ackedWrites: onPrimary.ackedWrites });

  // When the old primary's host comes back
  startAgent(primaryHost, identities.hosts[`h${primaryHost.index}`]);
  // Then it drops its stale copy and never serves the volume again
  const oldCopyId = before.copies.find((c) => c.role === 'primary')!.copyId;
  await eventually(async () => (copyDataFile(primaryHost.dataDir, oldCopyId) === undefined ? true : undefined), 60_000, 'the old primary to delete its stale copy');
  expect((await canConnect(endpointFile('old-primary', endpointOf(first)))).ok).toBe(false);
  expect(ok<VolumeView>(await tenant.get(volume.volumeId)).copies.map((c) => c.hostId)).not.toContain(primaryHost.hostId);
});

test('when a client lacks the volume key, it is refused: a made-up key, the key of another volume, and the client key on the mirror', async () => {
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const other = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const attached = ok<AttachmentView>(await tenant.http.request('POST', `/volumes/${volume.volumeId}/attachments`));
  const otherAttached = ok<AttachmentView>(await tenant.http.request('POST', `/volumes/${other.volumeId}/attachments`));
  const mirror = (await volumeRecord(volume.volumeId)).copies.find((c) => c.role === 'mirror')!;

  const right = await canConnect(endpointFile('right', endpointOf(attached)));
  const madeUp = await canConnect(endpointFile('made-up', { ...endpointOf(attached), keyHex: randomBytes(32).toString('hex') }));
  const otherKey = await canConnect(endpointFile('other-key', { ...endpointOf(attached), identity: otherAttached.tls.identity, keyHex: otherAttached.tls.keyHex }));
  const onMirror = await canConnect(endpointFile('on-mirror', { ...endpointOf(attached), ...mirror.nbd! }));

  expect(right.ok).toBe(true);
  expect(madeUp).toMatchObject({ ok: false });
  expect(otherKey).toMatchObject({ ok: false });
  expect(onMirror).toMatchObject({ ok: false });
  expect(madeUp.message).toMatch(/TLS|tls|handshake/);
});

test('when a volume commits 200 IOPS, a client writing at queue depth 8 gets 200 IOPS within 10 % over 5 s', async () => {
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'hdd', iops: 200 });
  const attached = ok<AttachmentView>(await tenant.http.request('POST', `/volumes/${volume.volumeId}/attachments`));

  const iops = await measureWriteIops(endpointFile('iops', endpointOf(attached)), 5, 8);

  expect(iops).toBeGreaterThanOrEqual(180);
  expect(iops).toBeLessThanOrEqual(220);
});

test('when a customer runs `blockplane attach --bridge-only`, the CLI attaches through the API and a client writes through its TLS-PSK bridge; detach frees the volume', async () => {
  // Given an available volume and the CLI with the tenant's credentials
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const runDir = join(work, 'run');
  const cli = (...args: string[]) =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'bin/blockplane.ts', ...args, '--run-dir', runDir], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: identities.tenants.a.accessKeyId, AWS_SECRET_ACCESS_KEY: identities.tenants.a.secretAccessKey },
    });

  // When it attaches with only the bridge (this machine has no kernel NBD module)
  const attached = JSON.parse((await cli('attach', volume.volumeId, '--bridge-only')).stdout) as { attachmentId: string; bridge: { uri: string } };
  // Then a userspace client writes and reads through the bridge, and the volume is in use
  await execFileAsync('qemu-io', ['-f', 'raw', attached.bridge.uri, '-c', 'write -P 0x5a 0 1M', '-c', 'read -P 0x5a 0 1M']);
  expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('in-use');

  // When it detaches
  await cli('detach', volume.volumeId, '--attachment', attached.attachmentId);
  // Then the bridge is gone and the volume is available again
  await expect(execFileAsync('qemu-io', ['-f', 'raw', attached.bridge.uri, '-c', 'read 0 4k'])).rejects.toThrow();
  expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('available');
});
