import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { usageFromStatfs } from '../../client/bridge/usage-report';
import { LoopFilesystem } from '../agent/helpers/loop-filesystem';
import { eventually, identities, volumesAs } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { volumeRecord } from './support/tables';

jest.setTimeout(600_000);

/**
 * Issue 8, "utilization comes from the attach side", on the real fleet: a volume attached with
 * `blockplane attach --bridge-only --report-usage DIR --report-interval-seconds 5` (the bridge
 * follows the primary and reports the usage of DIR's filesystem to `POST /volumes/{id}/utilization`
 * at the start and every 5 s). DIR is a small ext4 filesystem of its own (a loop device), so
 * nothing else writes to it and statfs of it is exact; the volume's item in the table holds the
 * latest report (customers' GET /volumes/{id} does not show it). After detach the bridge, and so
 * its reporter, is gone.
 */
const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;
const tenant = volumesAs('a');
const fleet = new LocalFleetVolumes(`e2e-u${randomUUID().slice(0, 6)}`, tenant, 'bp-e2e-usage-');
let attachment: { volumeId: string; attachmentId: string } | undefined;
let mounted: LoopFilesystem | undefined;

interface StoredUtilization {
  readonly usedGiB: number;
  readonly percent: number;
  readonly reportedAt: string;
}

const cli = (...args: string[]) =>
  execFileAsync(process.execPath, ['--import', 'tsx', 'bin/blockplane.ts', ...args, '--run-dir', join(fleet.work, 'run')], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: identities.tenants.a.accessKeyId, AWS_SECRET_ACCESS_KEY: identities.tenants.a.secretAccessKey },
  });

const storedUtilization = async (volumeId: string): Promise<StoredUtilization | undefined> => (await volumeRecord(volumeId)).utilization as StoredUtilization | undefined;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  await fleet.start();
  mounted = await LoopFilesystem.create(1024 * MiB);
});

afterAll(async () => {
  // The bridge runs detached (it outlives the CLI by design): detach stops it and ends the attachment.
  if (attachment) await cli('detach', attachment.volumeId, '--attachment', attachment.attachmentId, '--force').catch(() => undefined);
  await mounted?.destroy();
  await fleet.stop();
});

test('when attached with --report-usage DIR, the volume holds a report whose usedGiB is statfs of DIR and whose percent is of the volume size; it follows a write; detach ends it', async () => {
  // Given an available 2 GiB volume, and a quiet filesystem to measure
  const volume = await fleet.createAvailableVolume({ sizeGiB: 2, type: 'ssd' });
  const dir = mounted!.mountPoint;
  const statfsUsedGiB = async () => usageFromStatfs(await fs.statfs(dir)).usedGiB;

  // When it is attached with usage reports every 5 s
  const attached = JSON.parse((await cli('attach', volume.volumeId, '--bridge-only', '--report-usage', dir, '--report-interval-seconds', '5')).stdout) as {
    attachmentId: string;
    bridge: { pid: number };
    usageReport: unknown;
  };
  attachment = { volumeId: volume.volumeId, attachmentId: attached.attachmentId };
  expect(attached.usageReport).toEqual({ mountpoint: dir, intervalSeconds: 5 });

  // Then the first report is stored, with the used size statfs shows, as a percent of the 2 GiB volume
  const first = await eventually(() => storedUtilization(volume.volumeId), 60_000, `a utilization report of ${volume.volumeId}`, 500);
  expect(first.usedGiB).toBeCloseTo(await statfsUsedGiB(), 2);
  expect(first.percent).toBe(Math.min(100, Math.round((100 * first.usedGiB) / 2)));

  // When 600 MiB are written to that filesystem, a later report (within a few periods) says so
  const filler = join(dir, 'filler.bin');
  const handle = await fs.open(filler, 'w');
  const chunk = Buffer.alloc(8 * MiB, 0x5a);
  for (let written = 0; written < 600 * MiB; written += chunk.length) await handle.write(chunk);
  await handle.sync();
  await handle.close();
  const expectedGiB = await statfsUsedGiB();
  expect(expectedGiB - first.usedGiB).toBeGreaterThan(0.5);
  const later = await eventually(
    async () => {
      const seen = await storedUtilization(volume.volumeId);
      return seen && seen.reportedAt > first.reportedAt && Math.abs(seen.usedGiB - expectedGiB) < 0.01 ? seen : undefined;
    },
    60_000,
    `a report of about ${expectedGiB} GiB`,
    500,
  );
  expect(later.percent).toBe(Math.min(100, Math.round((100 * later.usedGiB) / 2)));
  expect(later.percent).toBeGreaterThanOrEqual(29);

  // When detached, the bridge that reported is gone with the attachment
  await cli('detach', volume.volumeId, '--attachment', attached.attachmentId, '--force');
  attachment = undefined;
  await eventually(async () => (isAlive(attached.bridge.pid) ? undefined : true), 20_000, `bridge PID ${attached.bridge.pid} to end`, 100);
  const volumeAfter = await fleet.volumeIn(volume.volumeId, ['available'], 60_000);
  expect(volumeAfter.status).toBe('available');
});
