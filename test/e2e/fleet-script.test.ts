import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `local/fleet.sh` as a newcomer uses it (issue 14, "a fleet to play with"): `up 2` leaves two
 * storage hosts running in the background against the deployed local cloud, `status` shows
 * them running and active, the CLI works by hand as the fleet's tenant (create, attach
 * --bridge-only, write and read back with nbdcopy, grow while attached, snapshot, restore into a
 * new volume, list as a table, detach, delete), and `down` removes the
 * hosts' agents, namespaces and loop devices.
 */
jest.setTimeout(240_000);

const run = promisify(execFile);
/** Host numbers far from the other tests' and the demo's. */
const OFFSET = '225';
const env = { ...process.env, BLOCKPLANE_HOST_INDEX_OFFSET: OFFSET };

async function fleet(...args: string[]): Promise<string> {
  return (await run('bash', ['local/fleet.sh', ...args], { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
}

async function cliAsFleetTenant(...args: string[]): Promise<string> {
  const keys = Object.fromEntries(
    (await fleet('env')).split('\n').flatMap((line) => {
      const match = /^export (AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=(.+)$/.exec(line);
      return match ? [[match[1], match[2]]] : [];
    }),
  );
  return (await run('npx', ['--no-install', 'tsx', 'bin/blockplane.ts', ...args], { env: { ...env, ...keys } })).stdout;
}

/** Writes 4 MiB through the bridge with nbdcopy and reads them back, the same bytes. */
async function writeAndReadBack(uri: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fleet-script-'));
  try {
    const data = randomBytes(4 * 1024 * 1024);
    writeFileSync(join(work, 'data.bin'), data);
    await run('nbdcopy', [join(work, 'data.bin'), uri]);
    await run('nbdcopy', ['--', uri, join(work, 'back.bin')]);
    const back = (await run('head', ['-c', String(data.length), join(work, 'back.bin')], { encoding: 'buffer', maxBuffer: 8 * 1024 * 1024 })).stdout;
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

afterAll(async () => {
  await fleet('down').catch(() => undefined);
});

test('up, status, a CLI session by hand, down', async () => {
  const up = await fleet('up', '2');
  expect(up).toMatch(/2 hosts up/);

  const status = await fleet('status');
  expect(status.match(/agent running \(pid \d+\), control plane: active/g)).toHaveLength(2);

  // What the session creates is removed even when a step fails, so a later run finds the hosts' capacity free
  const volumeIds: string[] = [];
  const attachments: { volumeId: string; attachmentId: string }[] = [];
  let snapshotId: string | undefined;
  try {
    const volume = JSON.parse(await cliAsFleetTenant('volumes', 'create', '--size-gib', '1', '--type', 'ssd', '--location', 'local')) as { volumeId: string };
    volumeIds.push(volume.volumeId);
    await cliAsFleetTenant('volumes', 'wait', volume.volumeId, '--status', 'available');
    const attached = JSON.parse(await cliAsFleetTenant('attach', volume.volumeId, '--bridge-only')) as { attachmentId: string; bridge: { uri: string } };
    attachments.push({ volumeId: volume.volumeId, attachmentId: attached.attachmentId });
    await writeAndReadBack(attached.bridge.uri);

    // The README's tour goes on: grow while attached, snapshot, restore into a new volume, list as a table
    const modification = JSON.parse(await cliAsFleetTenant('modifications', 'create', volume.volumeId, '--size-gib', '2', '--wait', '--no-progress')) as { status: string };
    expect(modification.status).toBe('completed');
    const snapshot = JSON.parse(await cliAsFleetTenant('snapshots', 'create', volume.volumeId, '--wait', '--no-progress')) as { snapshotId: string; status: string };
    snapshotId = snapshot.snapshotId;
    expect(snapshot.status).toBe('completed');
    const restored = JSON.parse(
      await cliAsFleetTenant('volumes', 'create', '--size-gib', '2', '--type', 'hdd', '--location', 'local', '--snapshot-id', snapshot.snapshotId, '--wait', '--no-progress'),
    ) as { volumeId: string; status: string };
    volumeIds.push(restored.volumeId);
    expect(restored.status).toBe('available');
    const table = await cliAsFleetTenant('-o', 'table', 'volumes', 'list');
    expect(table).toContain(volume.volumeId);
    expect(table).toContain(restored.volumeId);
  } finally {
    for (const { volumeId, attachmentId } of attachments) await cliAsFleetTenant('detach', volumeId, '--attachment', attachmentId, '--force');
    for (const volumeId of volumeIds) await cliAsFleetTenant('volumes', 'delete', volumeId);
    for (const volumeId of volumeIds) await cliAsFleetTenant('volumes', 'wait', volumeId, '--status', 'deleted');
    if (snapshotId) await cliAsFleetTenant('snapshots', 'delete', snapshotId);
  }

  expect(await fleet('down')).toMatch(/fleet down/);
  expect(await fleet('status')).toMatch(/no fleet is up/);
  const { stdout: namespaces } = await run('ip', ['netns', 'list']);
  expect(namespaces).not.toMatch(/host22[67]/);
});
