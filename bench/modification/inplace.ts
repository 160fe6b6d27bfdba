/**
 * In-place modifications of a replicated volume, each next to a baseline measured the same way
 * in the same run.  `npx tsx bench/modification/inplace.ts [--rounds 5]` (root).
 *
 * Two storage hosts are network namespaces joined by a veth pair with quickack (the agent
 * tests' NetnsPair), each with a loop disk and the agent's real controllers (the agent tests'
 * TestHost: commands go straight to the command handler, no HTTP). One replicated 1 GiB volume.
 *
 * - IOPS change, request → enforced: `set-iops` through the command handler (desired state in
 *   copy.json, reconcile, `qom-set`) until it answers, checked with `qom-get`; baseline: the
 *   same limit change as one bare `qom-set` of the complete struct on the same daemon.
 *   Then the rate a queued client gets at the last two limits (nbdcopy, 16 in flight).
 * - Grow, until a reconnecting client sees the new size: quiesce-replication (primary) →
 *   resize-copy (mirror) → resize-copy (primary), with a client that connects again and again
 *   (`nbdinfo --size` every 20 ms, from the primary's namespace) until it is told the new size;
 *   baseline: a plain export-del / export-add cycle of the same primary, timed the same way
 *   until a new client is served again. The goal is < 5 s.
 *
 * Figures are indicative (one machine, shared cores); timing is never a pass/fail test. Every
 * namespace, daemon and loop device this run creates is removed at the end.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { GiB } from '../../agent/devices/managed-disk';
import { runCommand } from '../../agent/util/run-command';
import { TestHost, startReplicatedVolume } from '../../test/agent/helpers/agent-host';
import { measureQueuedWriteRate } from '../../test/agent/helpers/io-rate';
import { NetnsPair } from '../../test/agent/helpers/netns-pair';
import { ExportTarget, TlsClient, makeTlsClient, nbdsUri } from '../../test/agent/helpers/nbd-clients';

const POLL_MS = 20;
/** Both well below what the pair can do (every write is flushed on the mirror's loop disk). */
const LOW_IOPS = 40;
const HIGH_IOPS = 100;
const VISIBLE_TIMEOUT_MS = 60_000;

interface Stats {
  p50: number;
  max: number;
  all: number[];
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)] as number, max: sorted[sorted.length - 1] as number, all: values.map((value) => Math.round(value * 10) / 10) };
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** Polls with a new client connection until it is told `sizeBytes`; resolves with the time. */
async function visibleAfter(since: bigint, target: ExportTarget, client: TlsClient, netns: string, sizeBytes: number): Promise<number> {
  const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
  for (;;) {
    try {
      const told = Number((await runCommand('ip', ['netns', 'exec', netns, 'nbdinfo', '--size', nbdsUri(target, client)], { timeoutMs: 5_000 })).stdout.trim());
      if (told === sizeBytes) return elapsedMs(since);
    } catch {
      // The export is away: try again.
    }
    if (Date.now() > deadline) throw new Error(`no client saw ${sizeBytes} bytes within ${VISIBLE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function succeeded(outcome: Promise<{ status: string }>, what: string): Promise<void> {
  const result = await outcome;
  if (result.status !== 'succeeded') throw new Error(`${what} failed: ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } }, strict: true });
  const rounds = Number(values.rounds ?? 5);
  const network = await NetnsPair.create();
  const ports = { first: 10800, last: 10819 };
  const hosts: TestHost[] = [];
  try {
    const hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports, diskSizeBytes: (rounds + 4) * GiB });
    hosts.push(hostA);
    const hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports, diskSizeBytes: (rounds + 4) * GiB });
    hosts.push(hostB);
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'bench-client'), keys.clientKey);
    const target: ExportTarget = { host: primary.nbd.address, port: primary.nbd.port, exportName: primary.nbd.exportName };
    const runtime = () => hostA.copies.servedCopy(primary.copyId)!.runtime;

    // IOPS
    const viaCommand: number[] = [];
    const bareQomSet: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const iops = round % 2 === 0 ? LOW_IOPS : HIGH_IOPS;
      let started = process.hrtime.bigint();
      await succeeded(hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 1, iops }), 'set-iops');
      viaCommand.push(elapsedMs(started));
      if ((await runtime().readThrottleLimits())['iops-total'] !== iops) throw new Error(`set-iops answered but QEMU does not enforce ${iops}`);
      started = process.hrtime.bigint();
      await runtime().setIopsLimit(iops === LOW_IOPS ? HIGH_IOPS : LOW_IOPS);
      bareQomSet.push(elapsedMs(started));
      await runtime().setIopsLimit(iops);
    }
    const rates: Record<string, number> = {};
    for (const iops of [LOW_IOPS, HIGH_IOPS]) {
      await succeeded(hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 1, iops }), 'set-iops');
      rates[iops] = (await measureQueuedWriteRate(target, client, iops * 4, hostA.dataDir, undefined, network.a.netns)).iops;
    }

    // Grow, and the baseline cycle
    const growVisible: number[] = [];
    const growPrimaryVisible: number[] = [];
    const cycleVisible: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const currentBytes = await runtime().observedSizeBytes();
      const exportName = runtime().currentExportName;
      let started = process.hrtime.bigint();
      await runtime().removeExport();
      await runtime().addExport({ writable: true, ...(exportName ? { name: exportName } : {}) });
      cycleVisible.push(await visibleAfter(started, target, client, network.a.netns, currentBytes));

      const sizeGiB = currentBytes / GiB + 1;
      started = process.hrtime.bigint();
      await succeeded(hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 }), 'quiesce-replication');
      await succeeded(hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB }), 'resize-copy (mirror)');
      const primaryStarted = process.hrtime.bigint();
      await succeeded(hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB, replicationKey: keys.replicationKey }), 'resize-copy (primary)');
      growVisible.push(await visibleAfter(started, target, client, network.a.netns, sizeGiB * GiB));
      growPrimaryVisible.push(elapsedMs(primaryStarted));
    }

    const report = {
      iopsChangeMs: { setIopsCommand: stats(viaCommand), bareQomSetBaseline: stats(bareQomSet) },
      measuredIops: rates,
      growMs: {
        quiesceToNewSizeVisible: stats(growVisible),
        primaryResizeToNewSizeVisible: stats(growPrimaryVisible),
        exportDelAddBaseline: stats(cycleVisible),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(
      `IOPS change request -> enforced: p50 ${report.iopsChangeMs.setIopsCommand.p50.toFixed(1)} ms (bare qom-set ${report.iopsChangeMs.bareQomSetBaseline.p50.toFixed(1)} ms); ` +
        `measured ${rates[LOW_IOPS]?.toFixed(0)} IOPS at ${LOW_IOPS}, ${rates[HIGH_IOPS]?.toFixed(0)} at ${HIGH_IOPS}`,
    );
    console.log(
      `grow until a reconnecting client sees the new size: p50 ${report.growMs.quiesceToNewSizeVisible.p50.toFixed(0)} ms, max ${report.growMs.quiesceToNewSizeVisible.max.toFixed(0)} ms (goal < 5000); ` +
        `plain export del/add cycle ${report.growMs.exportDelAddBaseline.p50.toFixed(0)} ms; ratio ${(report.growMs.quiesceToNewSizeVisible.p50 / report.growMs.exportDelAddBaseline.p50).toFixed(1)}x`,
    );
  } finally {
    for (const host of hosts.reverse()) await host.destroy().catch((error: Error) => console.error(`cleanup: ${error.message}`));
    await network.destroy().catch((error: Error) => console.error(`cleanup: ${error.message}`));
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
