/**
 * The admin (recovery) export, measured (docs/recovery.md "Admin read access"):
 * `npx tsx bench/recovery/admin-export.ts [--volumes 10]` (root).
 *
 * One storage host (the agent tests' TestHost: a loop disk and the agent's real controllers,
 * commands straight to the command handler, no HTTP) with `--volumes` primaries of 1 GiB, each
 * with 1 MiB of known data, then the agent restarted on the same disk: every copy is held.
 *
 * - **admin export readable**: `open-recovery-access` for every held copy at once (each with a
 *   recovery key of its own) until a qemu-io client with that key has read and verified the
 *   data through `<volumeId>.recovery`, for all of them;
 * - **baseline, in the same run**: `resume-copy` for the same copies at once (the decision's
 *   serving command; it closes the admin export first) until a client with the volume's own key
 *   has read and verified the same data through the volume's export, for all of them.
 *
 * The control plane's part (the grant, the poll that delivers the key: a long poll answers as
 * soon as the command is queued) is not in these figures. Figures are indicative (one machine,
 * shared cores); timing is never a pass/fail test. The loop device and daemons are removed.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generatePskKey } from '../../agent/tls/psk-keys-file';
import { TestHost, createCopyPayload, newVolumeId, volumeKeys, type VolumeKeys } from '../../test/agent/helpers/agent-host';
import { makeTlsClient, qemuIoTls } from '../../test/agent/helpers/nbd-clients';

const { values } = parseArgs({ options: { volumes: { type: 'string', default: '10' } } });
const VOLUMES = Number(values.volumes);
const seconds = (ms: number) => (ms / 1000).toFixed(2);

interface Held {
  volumeId: string;
  copyId: string;
  port: number;
  keys: VolumeKeys;
}

async function timeAll(work: (copy: Held) => Promise<void>, copies: readonly Held[]): Promise<{ allMs: number; each: number[] }> {
  const started = Date.now();
  const each = await Promise.all(copies.map(async (copy) => {
    await work(copy);
    return Date.now() - started;
  }));
  return { allMs: Date.now() - started, each: each.sort((a, b) => a - b) };
}

function succeeded(outcome: { status: string }, what: string): void {
  if (outcome.status !== 'succeeded') throw new Error(`${what}: ${JSON.stringify(outcome)}`);
}

async function main(): Promise<void> {
  let before: TestHost | undefined;
  let after: TestHost | undefined;
  try {
    before = await TestHost.create({ diskSizeBytes: (VOLUMES + 2) * 1024 ** 3 });
    const host = before;
    const copies: Held[] = await Promise.all(Array.from({ length: VOLUMES }, async (_, n) => {
      const volumeId = newVolumeId();
      const keys = volumeKeys(volumeId);
      const outcome = await host.run('create-copy', createCopyPayload(volumeId, keys, { role: 'primary', generation: 3 }));
      succeeded(outcome, 'create-copy');
      const { copyId, nbd } = (outcome as unknown as { result: { copyId: string; nbd: { port: number } } }).result;
      const client = await makeTlsClient(path.join(host.dataDir, 'bench-clients', `writer-${n}`), keys.clientKey);
      await qemuIoTls({ host: '127.0.0.1', port: nbd.port, exportName: volumeId }, client, ['write -P 0x5a 0 1M']);
      return { volumeId, copyId, port: nbd.port, keys };
    }));
    await before.stopAgent();
    after = await TestHost.create({ reuse: before });
    const restarted = after;
    if (restarted.copies.reports().some((report) => report.state !== 'held')) throw new Error('every copy should be held after the restart');

    const expiresAt = new Date(Date.now() + 15 * 60 * 1000).toISOString();
    const admin = await timeAll(async (copy) => {
      const recoveryKey = generatePskKey(`recovery-${copy.volumeId.slice(4)}-bench`);
      succeeded(await restarted.run('open-recovery-access', { volumeId: copy.volumeId, copyId: copy.copyId, generation: 3, expiresAt, recoveryKey }), 'open-recovery-access');
      const client = await makeTlsClient(path.join(restarted.dataDir, 'bench-clients', `admin-${copy.copyId}`), recoveryKey);
      await qemuIoTls({ host: '127.0.0.1', port: copy.port, exportName: `${copy.volumeId}.recovery` }, client, ['read -P 0x5a 0 1M'], { readOnly: true });
    }, copies);

    const baseline = await timeAll(async (copy) => {
      succeeded(await restarted.run('resume-copy', { volumeId: copy.volumeId, copyId: copy.copyId, role: 'primary', generation: 4, clientKey: copy.keys.clientKey, replicationKey: copy.keys.replicationKey }), 'resume-copy');
      const client = await makeTlsClient(path.join(restarted.dataDir, 'bench-clients', `tenant-${copy.copyId}`), copy.keys.clientKey);
      await qemuIoTls({ host: '127.0.0.1', port: copy.port, exportName: copy.volumeId }, client, ['read -P 0x5a 0 1M']);
    }, copies);

    const median = (list: number[]) => list[Math.floor(list.length / 2)] as number;
    console.log(JSON.stringify({ volumes: VOLUMES, adminAllMs: admin.allMs, adminMedianMs: median(admin.each), baselineAllMs: baseline.allMs, baselineMedianMs: median(baseline.each) }));
    console.log(`admin export readable for all ${VOLUMES} held copies: ${seconds(admin.allMs)} s (median copy ${seconds(median(admin.each))} s)`);
    console.log(`baseline resume-copy until a client reads, same copies: ${seconds(baseline.allMs)} s (median ${seconds(median(baseline.each))} s)`);
    console.log(`ratio admin / baseline: ${(admin.allMs / baseline.allMs).toFixed(2)}`);
  } finally {
    await after?.destroy();
    await before?.destroy();
  }
}

void main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
