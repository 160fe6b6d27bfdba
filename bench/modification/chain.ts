/**
 * A migration's mechanics, measured on real daemons (docs/modification-chain.md):
 *
 * 1. **copy rate**: the chain's fill (B mirrors its copy onward to a new copy, `extend-chain`,
 *    QEMU's mirror job at its defaults) against `nbdcopy` of the same export between the same
 *    two hosts (B's namespace to C's), in the same run, alternating, each into a fresh copy;
 * 2. **client I/O gap at cutover**: a writer (test/agent/helpers/acked_writer.py, serial 4 KiB
 *    writes, every acknowledgement logged) runs through N cutovers; the gap of each is the time
 *    from its last acknowledgement before the quiesce to the first one after (it includes the
 *    writer's reconnect: its connect retries every `--retry-ms`, and the NBD+TLS handshake).
 *    Every acknowledged write is checked on the final primary and mirror at the end.
 *
 *   npx tsx bench/modification/chain.ts [--data-mib 512] [--rounds 2] [--cutovers 20] [--json out.json]   (root)
 *
 * Three hosts are network namespaces on one bridge (test/agent/helpers/netns-fleet.ts, quickack
 * on every route), each with its own 4 GiB loop device; the volume is 1 GiB with `--data-mib`
 * written (the rest unwritten: the mirror and nbdcopy both skip it). The agent's controllers
 * run in this process, as in the agent tests (test/agent/helpers/agent-host.ts). Figures are
 * indicative (one machine, one disk, 2 vCPUs shared).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandOutcome } from '../../agent/commands/command-handler';
import { runCommand } from '../../agent/util/run-command';
import { TestHost, createCopyPayload, startReplicatedVolume, type CopyEndpoint, type VolumeKeys } from '../../test/agent/helpers/agent-host';
import { NetnsFleet } from '../../test/agent/helpers/netns-fleet';
import { makeTlsClient, qemuIoTls, type TlsClient } from '../../test/agent/helpers/nbd-clients';

const WRITER = path.resolve('test/agent/helpers/acked_writer.py');
const GiB = 1024 ** 3;

function options(): { dataMiB: number; rounds: number; cutovers: number; json?: string } {
  const { values } = parseArgs({
    options: { 'data-mib': { type: 'string' }, rounds: { type: 'string' }, cutovers: { type: 'string' }, json: { type: 'string' } },
    strict: true,
  });
  return {
    dataMiB: Number(values['data-mib'] ?? 512),
    rounds: Number(values.rounds ?? 2),
    cutovers: Number(values.cutovers ?? 20),
    ...(values.json ? { json: values.json } : {}),
  };
}

function ok(outcome: CommandOutcome, what: string): Record<string, unknown> {
  if (outcome.status !== 'succeeded') throw new Error(`${what} failed: ${JSON.stringify(outcome.error)}`);
  return outcome.result;
}

function acks(log: string): Array<{ n: number; at: number }> {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('k '))
    .map((line) => ({ n: Number(line.split(' ')[1]), at: Number(line.split(' ')[2]) }));
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The copy roles of one volume as it moves: the primary, its mirror, the host that takes the next copy. */
interface Placement {
  primary: { host: TestHost; endpoint: CopyEndpoint };
  mirror: { host: TestHost; endpoint: CopyEndpoint };
  spare: TestHost;
  generation: number;
}

async function main(): Promise<void> {
  const opts = options();
  const fleet = await NetnsFleet.create(3);
  const ports = { first: 10800, last: 10819 };
  const hosts: TestHost[] = [];
  let writer: ChildProcess | undefined;
  try {
    for (const [index, net] of fleet.hosts.entries()) {
      hosts.push(await TestHost.create({ hostId: `bench-${index}`, address: net.address, netns: net.netns, ports }));
    }
    const [hostA, hostB, hostC] = hosts as [TestHost, TestHost, TestHost];
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'bench-client'), keys.clientKey);
    const netnsA = (fleet.hosts[0] as { netns: string }).netns;
    await qemuIoTls({ host: primary.nbd.address, port: primary.nbd.port, exportName: volumeId }, client, [`write -P 0x5a 0 ${opts.dataMiB}M`], { netns: netnsA, timeoutMs: 600_000 });

    // 1. copy rate: the chain's fill against nbdcopy, B → a fresh copy on C, alternating
    const rates = { chain: [] as number[], nbdcopy: [] as number[] };
    const replKeyFile = path.join(hostB.dataDir, 'bench-repl');
    const replication = await makeTlsClient(replKeyFile, keys.replicationKey);
    for (let round = 0; round < opts.rounds; round++) {
      const viaNbdcopy = await newCopy(hostC, volumeId, keys, 1);
      const started = Date.now();
      await runCommand('ip', ['netns', 'exec', (fleet.hosts[1] as { netns: string }).netns, 'nbdcopy', uri(mirror, replication), uri(viaNbdcopy, replication)], { timeoutMs: 600_000 });
      rates.nbdcopy.push(GiB / ((Date.now() - started) / 1000));
      ok(await hostC.run('delete-copy', { volumeId, copyId: viaNbdcopy.copyId }), 'delete-copy');

      const viaChain = await newCopy(hostC, volumeId, keys, 1);
      const chainStarted = Date.now();
      ok(await hostB.run('extend-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { hostId: hostC.hostId, ...viaChain, ...viaChain.nbd }, replicationKey: keys.replicationKey }), 'extend-chain');
      rates.chain.push(GiB / ((Date.now() - chainStarted) / 1000));
      ok(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: viaChain.copyId } }), 'end-chain');
      ok(await hostC.run('delete-copy', { volumeId, copyId: viaChain.copyId }), 'delete-copy');
    }

    // 2. cutovers under a writer; B stays the mirror, the primary moves A → C → A …
    const log = path.join(hostA.dataDir, 'bench-writer.log');
    const targetFile = `${log}.target`;
    await pointAt(targetFile, primary);
    writer = spawn(
      'ip',
      ['netns', 'exec', netnsA, '/usr/bin/python3', WRITER, 'write', '--target-file', targetFile, '--identity', client.key.identity, '--psk-file', path.join(client.dir, 'keys.psk'),
        '--log', log, '--stop', `${log}.stop`, '--deadline-seconds', '3600', '--retry-ms', '2', '--blocks', '200000'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    await waitFor(() => acks(log).length > 200, 30_000, 'the writer');
    let placement: Placement = { primary: { host: hostA, endpoint: primary }, mirror: { host: hostB, endpoint: mirror }, spare: hostC, generation: 1 };
    const gaps: number[] = [];
    const commandMs: number[] = [];
    // A cutover refused on the way (e.g. the primary's mirror probes timed out under load: a mirror
    // fault, the primary continued alone at the next generation, so its quiesce at the old one is
    // refused) ends the loop: the figures so far stand, and the writes are checked on the primary.
    let stoppedBy: string | undefined;
    for (let cutover = 0; cutover < opts.cutovers && stoppedBy === undefined; cutover++) {
      try {
        const { gapMs, commandsMs, next } = await cutOver(placement, volumeId, keys, log, targetFile);
        gaps.push(gapMs);
        commandMs.push(commandsMs);
        placement = next;
        process.stderr.write(`cutover ${cutover + 1}/${opts.cutovers}: gap ${gapMs} ms, commands ${commandsMs} ms\n`);
      } catch (error) {
        stoppedBy = (error as Error).message;
        process.stderr.write(`cutover ${cutover + 1}/${opts.cutovers} refused: ${stoppedBy}\n`);
      }
    }
    await fs.writeFile(`${log}.stop`, '');
    await new Promise((resolve) => writer?.once('exit', resolve));
    const verify = async (host: TestHost, copyId: string) =>
      JSON.parse((await runCommand('/usr/bin/python3', [WRITER, 'verify', '--file', host.copies.describe(copyId)!.dataPath, '--log', log], { timeoutMs: 120_000 })).stdout) as { acked: number; lost: number };
    const onPrimary = await verify(placement.primary.host, placement.primary.endpoint.copyId);
    const onMirror = stoppedBy === undefined ? await verify(placement.mirror.host, placement.mirror.endpoint.copyId) : undefined;

    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const result = {
      dataMiB: opts.dataMiB,
      copyRateMiBps: { chain: rates.chain.map((rate) => Math.round(rate / 2 ** 20)), nbdcopy: rates.nbdcopy.map((rate) => Math.round(rate / 2 ** 20)) },
      chainOverNbdcopy: Number((mean(rates.chain) / mean(rates.nbdcopy)).toFixed(2)),
      cutovers: gaps.length,
      gapMs: { p50: percentile(gaps, 50), p99: percentile(gaps, 99), max: Math.max(...gaps), all: gaps },
      commandsMs: { p50: percentile(commandMs, 50), p99: percentile(commandMs, 99) },
      writes: { acked: onPrimary.acked, lostOnPrimary: onPrimary.lost, ...(onMirror ? { lostOnMirror: onMirror.lost } : {}) },
      ...(stoppedBy !== undefined ? { stoppedBy } : {}),
    };
    console.log(JSON.stringify(result, null, 2));
    if (opts.json) await fs.writeFile(opts.json, JSON.stringify(result, null, 2));
    if (onPrimary.lost > 0 || (onMirror?.lost ?? 0) > 0) process.exitCode = 1;
  } finally {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    for (const host of hosts) await host.destroy().catch(() => undefined);
    await fleet.destroy();
  }
}

async function newCopy(host: TestHost, volumeId: string, keys: VolumeKeys, generation: number): Promise<CopyEndpoint> {
  return ok(await host.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror', generation })), 'create-copy') as unknown as CopyEndpoint;
}

function uri(endpoint: CopyEndpoint, client: TlsClient): string {
  return `nbds://${client.key.identity}@${endpoint.nbd.address}:${endpoint.nbd.port}/${endpoint.nbd.exportName}?tls-psk-file=${path.join(client.dir, 'keys.psk')}`;
}

async function pointAt(targetFile: string, endpoint: CopyEndpoint): Promise<void> {
  await fs.writeFile(`${targetFile}.tmp`, `${endpoint.nbd.address} ${endpoint.nbd.port} ${endpoint.nbd.exportName}\n`);
  await fs.rename(`${targetFile}.tmp`, targetFile);
}

/** One migration: fill a copy on the spare host from the mirror, cut over to it, delete the old primary. */
async function cutOver(placement: Placement, volumeId: string, keys: VolumeKeys, log: string, targetFile: string): Promise<{ gapMs: number; commandsMs: number; next: Placement }> {
  const { primary, mirror, spare, generation } = placement;
  const filling = await newCopy(spare, volumeId, keys, generation);
  ok(await mirror.host.run('extend-chain', { volumeId, copyId: mirror.endpoint.copyId, generation, target: { hostId: spare.hostId, ...filling, ...filling.nbd }, replicationKey: keys.replicationKey }), 'extend-chain');
  const before = acks(log).length;
  await waitFor(() => acks(log).length > before + 50, 30_000, 'writes through the chain');
  const started = Date.now();
  ok(await primary.host.run('quiesce-replication', { volumeId, copyId: primary.endpoint.copyId, generation }), 'quiesce-replication');
  const ended = ok(await mirror.host.run('end-chain', { volumeId, copyId: mirror.endpoint.copyId, generation, target: { copyId: filling.copyId }, nextGeneration: generation + 1 }), 'end-chain');
  const mirrorEndpoint = { copyId: mirror.endpoint.copyId, nbd: ended.nbd as CopyEndpoint['nbd'] };
  const promoted = ok(
    await spare.run('promote-copy', {
      volumeId, copyId: filling.copyId, generation: generation + 1, planned: true, clientKeys: [keys.clientKey],
      mirror: { hostId: mirror.host.hostId, ...mirrorEndpoint, ...mirrorEndpoint.nbd }, replicationKey: keys.replicationKey,
    }),
    'promote-copy',
  ) as unknown as CopyEndpoint;
  await pointAt(targetFile, promoted);
  const commandsMs = Date.now() - started;
  await waitFor(() => acks(log).some((ack) => ack.at > started + commandsMs), 30_000, 'the writer on the new primary');
  // The gap: the longest pause between two acknowledgements around the cutover (the old primary answers until its export goes).
  const around = acks(log).filter((ack) => ack.at >= started - 1_000);
  let gapMs = 0;
  for (let i = 1; i < around.length; i++) gapMs = Math.max(gapMs, (around[i] as { at: number }).at - (around[i - 1] as { at: number }).at);
  ok(await primary.host.run('delete-copy', { volumeId, copyId: primary.endpoint.copyId, generation }), 'delete-copy');
  return {
    gapMs: Math.round(gapMs),
    commandsMs,
    next: { primary: { host: spare, endpoint: promoted }, mirror: { host: mirror.host, endpoint: mirrorEndpoint }, spare: primary.host, generation: generation + 1 },
  };
}

void main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
