/**
 * The assertion pass's cost (docs/audit.md, "Cost"): one host (a loop device, real
 * qemu-storage-daemons) with 50 copies; how long one pass over them takes, and the 4 KiB write
 * latency a qemu-io client sees over NBD/TLS-PSK on one copy, first with no assertion running
 * (baseline), then while passes run back to back (the worst case: the schedule is every 30 s).
 *
 *   npx tsx bench/audit/assertion-cost.ts [--copies 50] [--writes 2000]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AssertionController } from '../../agent/audit/assertion-controller';
import { HostObserver } from '../../agent/audit/host-observer';
import { SpecSource } from '../../agent/audit/spec-source';
import type { SignedResponse } from '../../client/signed-http';
import { SpecDocumentSchema, clausesFor } from '../../core/audit/spec';
import { TestHost, createCopyPayload, newVolumeId, volumeKeys } from '../../test/agent/helpers/agent-host';
import { makeTlsClient, qemuIoTls } from '../../test/agent/helpers/nbd-clients';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '50' }, writes: { type: 'string', default: '2000' } } });
const COPIES = Number(values.copies);
const WRITES = Number(values.writes);

const spec = SpecDocumentSchema.parse(JSON.parse(require('node:fs').readFileSync(path.join(__dirname, '../../spec/blockplane.json'), 'utf8')));
const version = { version: 1, clauses: clausesFor(spec, ['storage-host', 'volume-copy']), author: 'bench', createdAt: new Date().toISOString(), reason: 'bench', changes: [] };
/** The control plane's side, answered in process: the bench measures the host, not the network. */
const api = {
  currentSpec: async (): Promise<SignedResponse> => ({ status: 200, body: version, text: '', etag: '"v1"' }),
  postAssertions: async (): Promise<SignedResponse> => ({ status: 202, body: {}, text: '' }),
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function writeLatenciesUs(run: () => Promise<string>): Promise<number[]> {
  const stdout = await run();
  // qemu-io prints "4 KiB, 1 ops; 00.00 sec (… and 2304.07 ops/sec)" per write: the rate has the resolution the seconds lack.
  return [...stdout.matchAll(/1 ops; [^(]*\([^)]* and ([\d.]+) ops\/sec\)/g)].map((match) => 1e6 / Number(match[1])).sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const firstPort = 30_000 + Math.floor(Math.random() * 5_000);
  const host = await TestHost.create({ diskSizeBytes: (COPIES + 4) * 1024 ** 3, ports: { first: firstPort, last: firstPort + COPIES + 9 } });
  try {
    process.stdout.write(`creating ${COPIES} copies`);
    let first: { volumeId: string; keys: ReturnType<typeof volumeKeys>; port: number } | undefined;
    for (let i = 0; i < COPIES; i++) {
      const volumeId = newVolumeId();
      const keys = volumeKeys(volumeId);
      const outcome = (await host.run('create-copy', createCopyPayload(volumeId, keys, { iops: 0 }))) as { status: string; result: { nbd: { port: number } } };
      if (outcome.status !== 'succeeded') throw new Error(`create-copy ${i} failed: ${JSON.stringify(outcome)}`);
      first ??= { volumeId, keys, port: outcome.result.nbd.port };
      if (i % 10 === 9) process.stdout.write('.');
    }
    process.stdout.write('\n');
    const controller = new AssertionController({ hostId: host.hostId, api, specs: new SpecSource(api), copies: host.copies, host: new HostObserver(host.hostId, () => host.disks.disks) });
    const passes: number[] = [];
    for (let i = 0; i < 10; i++) passes.push((await controller.pass()).durationMs);
    passes.sort((a, b) => a - b);
    const asserted = (await controller.pass()).assertions.length;

    const client = await makeTlsClient(path.join(host.dataDir, 'bench-client'), first!.keys.clientKey);
    const target = { host: '127.0.0.1', port: first!.port, exportName: first!.volumeId };
    const commands = Array.from({ length: WRITES }, (_, i) => `write -P 0x${(i % 250).toString(16)} ${(i % 4096) * 4096} 4k`);
    const write = async () => (await qemuIoTls(target, client, commands, { timeoutMs: 600_000 })).stdout;

    // A first run allocates the blocks, so both measured runs overwrite the same ones.
    await write();
    const baseline = await writeLatenciesUs(write);
    let running = true;
    let during = 0;
    const loop = (async () => {
      while (running) {
        await controller.pass();
        during += 1;
      }
    })();
    const loaded = await writeLatenciesUs(write);
    running = false;
    await loop;

    const line = (name: string, sorted: number[]) => `${name}: ${sorted.length} writes, p50 ${percentile(sorted, 50).toFixed(0)} µs, p99 ${percentile(sorted, 99).toFixed(0)} µs`;
    console.log(`assertion pass over ${COPIES} copies (${asserted} assertions): p50 ${percentile(passes, 50)} ms, max ${passes.at(-1)} ms`);
    console.log(line('4 KiB writes, no assertions (baseline)', baseline));
    console.log(line(`4 KiB writes, ${during} passes back to back`, loaded));
    console.log(`ratio p50 ${(percentile(loaded, 50) / percentile(baseline, 50)).toFixed(2)}, p99 ${(percentile(loaded, 99) / percentile(baseline, 99)).toFixed(2)} (1.00 = no cost)`);
  } finally {
    await host.destroy();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
