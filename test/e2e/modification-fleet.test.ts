import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { eventually, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { copyDataFile } from './support/nbd-clients';

jest.setTimeout(900_000);

/**
 * Issue 8 on the real fleet: three namespaced hosts with real agents and storage daemons, a
 * volume attached through the attach bridge (`blockplane attach --bridge-only`, which follows
 * the primary), and a writer that logs every acknowledged write through the bridge the whole
 * time. The volume's IOPS, size and type are changed while it writes; afterwards every
 * acknowledged write is on both copies and the writer never saw an error.
 */
const execFileAsync = promisify(execFile);
const WRITER = join(__dirname, '..', 'agent', 'helpers', 'acked_writer.py');
const GiB = 1024 ** 3;
const tenant = volumesAs('a');
const fleet = new LocalFleetVolumes(`e2e-m${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-mod-');
let writer: ChildProcess | undefined;
let attachment: { volumeId: string; attachmentId: string } | undefined;

interface ModificationView {
  readonly modificationId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly plan?: { readonly kind: string };
}

beforeAll(() => fleet.start());

afterAll(async () => {
  if (writer && writer.exitCode === null) writer.kill('SIGKILL');
  // The bridge runs detached (it outlives the CLI by design): detach stops it and ends the attachment.
  if (attachment) await cli('detach', attachment.volumeId, '--attachment', attachment.attachmentId, '--force').catch(() => undefined);
  await fleet.stop();
});

const cli = (...args: string[]) =>
  execFileAsync(process.execPath, ['--import', 'tsx', 'bin/blockplane.ts', ...args, '--run-dir', join(fleet.work, 'run')], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: identities.tenants.a.accessKeyId, AWS_SECRET_ACCESS_KEY: identities.tenants.a.secretAccessKey },
  });

async function modify(volumeId: string, request: Record<string, unknown>): Promise<ModificationView> {
  const requested = ok<ModificationView>(await tenant.http.request('POST', `/volumes/${volumeId}/modifications`, request));
  return eventually(
    async () => {
      const seen = ok<ModificationView>(await tenant.http.request('GET', `/volumes/${volumeId}/modifications/${requested.modificationId}`));
      return ['completed', 'failed', 'cancelled'].includes(seen.status) ? seen : undefined;
    },
    300_000,
    `modification ${requested.modificationId} to end`,
    1_000,
  );
}

const acked = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('k ')).length : 0);
const errors = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('e ')) : []);

function fileOf(copy: { copyId: string; hostId: string }): { file: string; type: 'ssd' | 'hdd' } {
  const host = fleet.hosts.find((candidate) => candidate.hostId === copy.hostId)!;
  const file = copyDataFile(host.dataDir, copy.copyId);
  if (!file) throw new Error(`no data file of copy ${copy.copyId} on ${copy.hostId}`);
  const disk = host.loopDevices.find((candidate) => file.includes(`/${candidate.device.replace('/dev/', '')}/`));
  return { file, type: disk?.type ?? (() => { throw new Error(`copy ${copy.copyId}'s file ${file} is on no known disk`); })() };
}

test('while a client writes through the attach bridge, the volume changes IOPS, grows and moves from hdd to ssd; the client never sees an error and every acknowledged write is on both copies', async () => {
  // Given an attached hdd volume with a writer through the bridge
  const volume = await fleet.createAvailableVolume({ sizeGiB: 1, type: 'hdd', iops: 200 });
  const attached = JSON.parse((await cli('attach', volume.volumeId, '--bridge-only')).stdout) as { attachmentId: string; bridge: { socket: string; exportName: string } };
  attachment = { volumeId: volume.volumeId, attachmentId: attached.attachmentId };
  const log = join(fleet.work, 'writer.log');
  const stop = join(fleet.work, 'writer.stop');
  writer = spawn('/usr/bin/python3', [WRITER, 'write', '--socket', attached.bridge.socket, '--export', attached.bridge.exportName, '--log', log, '--stop', stop, '--blocks', '100000'], { stdio: 'ignore' });
  await eventually(async () => (acked(log) > 500 ? true : undefined), 60_000, 'the writer to get 500 acknowledgements');

  // When the IOPS change (in place)
  const iops = await modify(volume.volumeId, { iops: 400 });
  expect(iops).toMatchObject({ status: 'completed', plan: { kind: 'in-place' } });

  // And the volume grows (in place)
  const grow = await modify(volume.volumeId, { sizeGiB: 2 });
  expect(grow).toMatchObject({ status: 'completed', plan: { kind: 'in-place' } });
  const grown = ok<VolumeView>(await tenant.get(volume.volumeId));
  expect(grown.sizeGiB).toBe(2);
  for (const copy of grown.copies) expect(statSync(fileOf(copy).file).size).toBe(2 * GiB);

  // And the type changes from hdd to ssd (both copies migrate through the chain)
  const before = acked(log);
  const type = await modify(volume.volumeId, { type: 'ssd' });
  expect(type).toMatchObject({ status: 'completed', plan: { kind: 'migrate' } });
  await eventually(async () => (acked(log) > before + 200 ? true : undefined), 60_000, 'the writer to go on after the cutovers');
  writeFileSync(stop, '');
  await new Promise((resolve) => writer!.once('exit', resolve));

  // Then the volume is ssd on two copies that replaced the old ones, each on an ssd disk
  const after = ok<VolumeView>(await tenant.get(volume.volumeId));
  // (the IOPS become the ssd default: 400 is below what an ssd volume commits to; docs/modification.md)
  expect(after).toMatchObject({ type: 'ssd', sizeGiB: 2 });
  expect(after.copies.map((copy) => copy.role).sort()).toEqual(['mirror', 'primary']);
  expect(after.copies.map((copy) => copy.copyId)).not.toEqual(expect.arrayContaining(volume.copies.map((copy) => copy.copyId)));
  // And the client saw a pause, never an error; every acknowledged write is on both copies
  expect(errors(log)).toEqual([]);
  for (const copy of after.copies) {
    const { file, type: diskType } = fileOf(copy);
    expect(diskType).toBe('ssd');
    const { stdout } = await execFileAsync('/usr/bin/python3', [WRITER, 'verify', '--file', file, '--log', log]);
    const verification = JSON.parse(stdout) as { acked: number; lost: number };
    expect(verification.acked).toBeGreaterThan(before);
    expect(verification.lost).toBe(0);
  }
});
