/**
 * Client I/O gap at cutover through the attach bridge (issue 8's benchmark "Client I/O gap at
 * cutover through the bridge: p50/p99 over ≥ 20 cutovers, goal p99 < 50 ms").
 *
 * `npx tsx bench/modification/cutover-gap.ts [--moves 20] [--crash-every 0] [--network veth|loopback]` (root).
 *
 * Setup (test/agent/helpers/moving-primary.ts): two real qemu-storage-daemons take turns
 * exporting one data file over TLS-PSK, and a stub of `GET …/attachments/{id}` names the one that
 * exports; the bridge (bin/attach-bridge.ts, following the attachment) serves it on its unix
 * socket; the acked writer (serial 4 KiB writes, libnbd) writes through the bridge the whole
 * time. A planned move is what a client sees of a cutover: the old primary's export is removed
 * (mode hard), the new one's added, the stub publishes it. With `--network veth` (default) the
 * daemons run behind a veth pair with `quickack 1` on both routes, as the fleet's storage routes
 * have; `loopback` leaves the machine's loopback route alone (QEMU 7.2's delayed-ACK stalls).
 *
 * Baseline, same run, same export: the writer connected directly to the primary over TLS-PSK
 * (its per-write latency), then the same writer through the bridge without moves.
 * Printed: per-move gaps, p50/p99 of gaps, and the latencies; every acknowledged write is
 * verified afterwards (0 lost, 0 failed, or the run fails).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writePskKeysFile } from '../../agent/tls/psk-keys-file';
import { runCommand } from '../../agent/util/run-command';
import { startBridge, stopBridge } from '../../bin/attach-bridge';
import { gapsAtMoves, MovingPrimary, percentile, readWriterLog } from '../../test/agent/helpers/moving-primary';

const WRITER = path.join(__dirname, '..', '..', 'test', 'agent', 'helpers', 'acked_writer.py');
const MiB = 1024 * 1024;
const SIZE_BYTES = 256 * MiB;
const BASELINE_SECONDS = 3;
const WRITES_BETWEEN_MOVES = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Per-write latency (ack time - send time) of a writer log. */
async function latencies(logFile: string): Promise<number[]> {
  const sent = new Map<number, number>();
  const out: number[] = [];
  for (const line of (await fs.readFile(logFile, 'utf8')).split('\n')) {
    const [kind, block, at] = line.split(' ');
    if (kind === 'a') sent.set(Number(block), Number(at));
    if (kind === 'k') out.push(Number(at) - (sent.get(Number(block)) ?? Number(at)));
  }
  return out;
}

function runWriter(args: string[], logFile: string, stopFile: string): Promise<number | null> {
  const writer = spawn('/usr/bin/python3', [WRITER, 'write', ...args, '--log', logFile, '--stop', stopFile, '--blocks', String(SIZE_BYTES / 4096), '--deadline-seconds', '600'], { stdio: 'inherit' });
  return new Promise((resolve) => writer.once('exit', resolve));
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { moves: { type: 'string', default: '20' }, 'crash-every': { type: 'string', default: '0' }, network: { type: 'string', default: 'veth' } } });
  const moves = Number(values.moves);
  const crashEvery = Number(values['crash-every']);
  const network = values.network === 'loopback' ? 'loopback' : 'veth';
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-cutover-gap-'));
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDSTUB', AWS_SECRET_ACCESS_KEY: 'stub-secret', AWS_REGION: 'us-east-1' });
  const volumeId = 'vol-0123456789abcdef2';
  const primary = await MovingPrimary.start({ root: path.join(root, 'hosts'), volumeId, attachmentId: 'att-00112233eeff', sizeBytes: SIZE_BYTES, network });
  let bridge;
  try {
    // Baseline 1: the writer straight to the primary, TLS-PSK over TCP.
    const direct = primary.directEndpoint();
    const pskDir = path.join(root, 'direct-tls');
    const pskFile = await writePskKeysFile(pskDir, [{ identity: direct.identity, keyHex: direct.keyHex }]);
    const directLog = path.join(root, 'direct.log');
    const directStop = path.join(root, 'direct.stop');
    const directRun = runWriter(['--host', direct.host, '--port', String(direct.port), '--export', direct.exportName, '--identity', direct.identity, '--psk-file', pskFile], directLog, directStop);
    await sleep(BASELINE_SECONDS * 1000);
    await fs.writeFile(directStop, '');
    await directRun;
    const directLatency = await latencies(directLog);

    // The bridge, following the stub attachment; baseline 2 = its writes before the first move.
    bridge = await startBridge(primary.attachment(), { runRoot: path.join(root, 'run'), outputsFile: primary.outputsFile });
    const logFile = path.join(root, 'bridge.log');
    const stopFile = path.join(root, 'bridge.stop');
    const run = runWriter(['--socket', bridge.socketPath, '--export', volumeId], logFile, stopFile);
    const acked = async () => (await readWriterLog(logFile).catch(() => ({ acks: [] }))).acks.length;
    await sleep(BASELINE_SECONDS * 1000);
    const steadyWrites = await acked();
    for (let move = 0; move < moves; move++) {
      const from = await acked();
      const deadline = Date.now() + 60_000;
      while ((await acked()) < from + WRITES_BETWEEN_MOVES) {
        if (Date.now() > deadline) throw new Error(`no ${WRITES_BETWEEN_MOVES} writes within 60 s after move ${move}`);
        await sleep(20);
      }
      await primary.move(crashEvery > 0 && (move + 1) % crashEvery === 0 ? 'crash' : 'planned');
    }
    await sleep(500);
    await fs.writeFile(stopFile, '');
    await run;

    const log = await readWriterLog(logFile);
    const verified = JSON.parse((await runCommand('/usr/bin/python3', [WRITER, 'verify', '--file', primary.dataPath, '--log', logFile], { timeoutMs: 120_000 })).stdout) as { acked: number; lost: number };
    const bridgeLatency = (await latencies(logFile)).slice(0, steadyWrites);
    const gaps = gapsAtMoves(log, primary.moves);
    const planned = gaps.filter((_, index) => primary.moves[index]!.kind === 'planned');
    const crashes = gaps.filter((_, index) => primary.moves[index]!.kind === 'crash');
    const report = {
      network,
      moves: primary.moves.length,
      ackedWrites: verified.acked,
      failedWrites: log.errors.length,
      lostWrites: verified.lost,
      directWriteLatencyMs: { p50: percentile(directLatency, 50), p99: percentile(directLatency, 99), writes: directLatency.length },
      bridgeWriteLatencyMs: { p50: percentile(bridgeLatency, 50), p99: percentile(bridgeLatency, 99), writes: bridgeLatency.length },
      plannedGapMs: { p50: percentile(planned, 50), p99: percentile(planned, 99), max: Math.max(...planned), n: planned.length },
      ...(crashes.length > 0 ? { crashGapMs: { p50: percentile(crashes, 50), p99: percentile(crashes, 99), max: Math.max(...crashes), n: crashes.length } } : {}),
      gapsMs: gaps.map((gap) => Math.round(gap * 10) / 10),
      loadAverage: os.loadavg().map((load) => Math.round(load * 10) / 10),
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(
      `cutover gap through the bridge (${network}): planned p50 ${ms(report.plannedGapMs.p50)}, p99 ${ms(report.plannedGapMs.p99)} over ${planned.length} moves ` +
        `(goal p99 < 50 ms); direct write p50 ${ms(report.directWriteLatencyMs.p50)} / p99 ${ms(report.directWriteLatencyMs.p99)}, ` +
        `through the bridge p50 ${ms(report.bridgeWriteLatencyMs.p50)} / p99 ${ms(report.bridgeWriteLatencyMs.p99)}; ` +
        `${verified.acked} acked, ${log.errors.length} failed, ${verified.lost} lost`,
    );
    if (log.errors.length > 0 || verified.lost > 0) process.exitCode = 1;
  } finally {
    if (bridge) await stopBridge(bridge).catch(() => undefined);
    await primary.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
