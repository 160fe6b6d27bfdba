/**
 * 4 KiB random writes through a replicated Blockplane volume, next to a baseline measured the
 * same way in the same run.  `npx tsx bench/replication/run.ts [--seconds 15]` (root).
 *
 * Two storage "hosts" are network namespaces on one bridge (local/storage-network.ts, quickack
 * on every route); every data file is on the same disk (a folder under /var/tmp). fio's nbd
 * engine (libnbd) cannot do TLS-PSK, so every TLS path is measured through the same client
 * bridge the CLI's `attach` uses (bin/attach-bridge.ts: qemu-nbd as TLS-PSK client, serving a
 * unix socket); the baseline that is compared pays for the same bridge.
 *
 *   A  qemu-nbd, no TLS, no mirror        fio ─TCP─▶ qemu-nbd (host A) ─▶ file
 *   B  qemu-nbd, TLS-PSK, no mirror       fio ─unix─▶ bridge ─TCP+TLS─▶ qemu-nbd (host A) ─▶ file
 *   C  Blockplane copy, no mirror         fio ─unix─▶ bridge ─TCP+TLS─▶ qemu-storage-daemon (host A) ─▶ file
 *   D  volume as before fencing          like C, and every write is mirrored synchronously
 *                                         (write-blocking) ─TCP+TLS─▶ qemu-storage-daemon (host B) ─▶ file
 *   E  Blockplane volume (fenced)         like D, as the agent serves it now: the mirror's export is
 *                                         write-through (flushed before each answer, invariant 3 of
 *                                         docs/replication-safety.md) and named by generation
 *
 * Ratios: E/B is the volume against the baseline on the same client path, E/D the cost of the
 * fencing, D/C the cost of the mirror alone, C/B our daemon against plain qemu-nbd, B/A the
 * bridge plus TLS. Every process,
 * namespace and file this run creates is removed at the end, processes by PID. Figures are
 * indicative (one machine, one disk, 2 vCPUs); timing is never a pass/fail test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CopyRole } from '../../agent/copies/copy-role';
import { CopyStore } from '../../agent/copies/copy-store';
import { ServedCopy } from '../../agent/copies/served-copy';
import type { VolumeCopy } from '../../agent/copies/volume-copy';
import { generatePskKey, writePskKeysFile, type PskKey } from '../../agent/tls/psk-keys-file';
import { runCommand } from '../../agent/util/run-command';
import { bridgeUri, startBridge, stopBridge, type BridgeState } from '../../bin/attach-bridge';
import { BRIDGE as STORAGE_BRIDGE, createStorageHostNetwork, removeStorageBridge, removeStorageHostNetwork, type StorageHostNetwork } from '../../local/storage-network';
import type { AttachmentView } from '../../client/blockplane-api';

// Host numbers far from the local fleet's (1, 2, 3…), so a running fleet is never touched.
const HOST_A = 201;
const HOST_B = 202;
const PORTS = { primary: 10809, nomirror: 10812, basePlain: 10810, baseTls: 10811, mirror: 10809, fencedPrimary: 10813, fencedMirror: 10813 } as const;
const MiB = 1024 * 1024;

interface Options {
  seconds: number;
  rampSeconds: number;
  sizeMiB: number;
  json?: string;
  /** Wait up to this many seconds for the machine to be idle before measuring. */
  waitIdleSeconds: number;
}

function options(): Options {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, 'ramp-seconds': { type: 'string' }, 'size-mib': { type: 'string' }, json: { type: 'string' }, 'wait-idle': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npx tsx bench/replication/run.ts [--seconds 15] [--ramp-seconds 1] [--size-mib 1024] [--json results.json] [--wait-idle SECONDS]');
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer ${min}..${max}`);
    return value;
  };
  return {
    seconds: int('seconds', values.seconds, 15, 1, 600),
    rampSeconds: int('ramp-seconds', values['ramp-seconds'], 1, 0, 60),
    sizeMiB: int('size-mib', values['size-mib'], 1024, 64, 65536),
    json: values.json,
    waitIdleSeconds: int('wait-idle', values['wait-idle'], 0, 0, 3600),
  };
}

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ─── what this run creates, undone in reverse by cleanup() ──────────────────────────────────

const undo: { what: string; run: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (undo.length > 0) {
      const step = undo.pop()!;
      try {
        await step.run();
        log(`cleanup: ${step.what}`);
      } catch (error) {
        log(`cleanup FAILED: ${step.what}: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function exists(command: string, args: string[]): Promise<boolean> {
  return runCommand(command, args).then(
    () => true,
    () => false,
  );
}

/** Stops a child we spawned, by its PID: SIGTERM, then SIGKILL after 5 s. */
async function stopChild(child: ChildProcess, name: string): Promise<void> {
  const pid = child.pid!;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(pid, 'SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
  if (timedOut) {
    log(`${name} (PID ${pid}) ignored SIGTERM; SIGKILL`);
    process.kill(pid, 'SIGKILL');
    await exited;
  }
}

/** Writes every block of `file` once (zeros, O_DIRECT), so no run pays for unwritten extents. */
async function prefill(file: string, sizeMiB: number): Promise<void> {
  await runCommand('dd', ['if=/dev/zero', `of=${file}`, 'bs=4M', `count=${sizeMiB / 4}`, 'oflag=direct', 'conv=notrunc', 'status=none'], { timeoutMs: 600_000 });
}

function sha256OfFileDirect(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const dd = spawn('dd', [`if=${file}`, 'bs=4M', 'iflag=direct', 'status=none'], { stdio: ['ignore', 'pipe', 'inherit'] });
    dd.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
    dd.once('error', reject);
    dd.once('close', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`dd ${file} exited with ${code}`))));
  });
}

// ─── servers ────────────────────────────────────────────────────────────────────────────────

/** A plain `qemu-nbd` export of `file` inside `host`'s namespace (O_DIRECT, aio=native like our copies). */
async function startQemuNbdServer(host: StorageHostNetwork, workDir: string, name: string, port: number, file: string, tlsKey?: PskKey): Promise<ChildProcess> {
  const pidFile = path.join(workDir, `${name}.pid`);
  const logFile = path.join(workDir, `${name}.log`);
  const tlsArgs: string[] = [];
  if (tlsKey) {
    const dir = path.join(workDir, `${name}-tls`);
    await writePskKeysFile(dir, [tlsKey]);
    tlsArgs.push('--object', `tls-creds-psk,id=tls0,endpoint=server,dir=${dir}`, '--tls-creds=tls0');
  }
  const args = [
    'netns', 'exec', host.netns, 'qemu-nbd',
    ...tlsArgs,
    '-f', 'raw', '--cache=none', '--aio=native',
    '--persistent', '--shared=8',
    '-b', host.address, '-p', String(port), '-x', name,
    `--pid-file=${pidFile}`,
    file,
  ];
  const out = openSync(logFile, 'a');
  const child = spawn('ip', args, { stdio: ['ignore', out, out] });
  closeSync(out);
  undo.push({ what: `stopped qemu-nbd ${name} (PID ${child.pid})`, run: () => stopChild(child, `qemu-nbd ${name}`) });
  const deadline = Date.now() + 15_000;
  // `ip netns exec` execs qemu-nbd, which writes its pid file once the image is open.
  while (Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim()) !== child.pid) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`qemu-nbd ${name} did not start: ${await fs.readFile(logFile, 'utf8').catch(() => '')}`);
    await sleep(20);
  }
  return child;
}

async function serveCopy(copy: VolumeCopy, host: StorageHostNetwork, port: number, keys: PskKey[], exportOptions: { name?: string; writethrough?: boolean } = {}): Promise<ServedCopy> {
  const served = await ServedCopy.start(copy, { netns: host.netns });
  undo.push({ what: `stopped qemu-storage-daemon of ${copy.copyId} (PID ${served.daemon.pid})`, run: () => served.stop() });
  await served.runtime.startNbdServer({ listen: { type: 'inet', host: host.address, port }, clientKeys: keys, maxConnections: 16 });
  await served.runtime.addExport(exportOptions);
  return served;
}

async function bridgeTo(runRoot: string, name: string, host: StorageHostNetwork, port: number, exportName: string, key: PskKey): Promise<BridgeState> {
  const connection: AttachmentView = {
    attachmentId: 'att-000000000000',
    volumeId: name,
    generation: 1,
    hostId: host.name,
    nbd: { address: host.address, port, exportName },
    tls: { type: 'psk', identity: key.identity, keyHex: key.keyHex },
  };
  const bridge = await startBridge(connection, { runRoot });
  undo.push({ what: `stopped bridge ${name} (PID ${bridge.pid})`, run: () => stopBridge(bridge) });
  return bridge;
}

// ─── fio ────────────────────────────────────────────────────────────────────────────────────

interface Point {
  iops: number;
  meanUs: number;
  p99Us: number;
  /** Share of the machine's CPU time that was busy during the run (all cores, ramp included). */
  cpuBusy: number;
  /** CPU used by each process of the path, in % of one core (fio from its own report). */
  processCpu: Record<string, number>;
}

/** utime + stime of `pid`, in clock ticks. */
function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Busy and total jiffies of all CPUs together, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = fields[3] + fields[4];
  return { busy: total - idle, total };
}

async function fio(uri: string, iodepth: number, opts: Options, processes: readonly { name: string; pid: number }[]): Promise<Point> {
  const args = [
    '--name=bp',
    '--ioengine=nbd',
    `--uri=${uri}`,
    '--rw=randwrite',
    '--bs=4k',
    `--iodepth=${iodepth}`,
    '--time_based',
    `--runtime=${opts.seconds}`,
    `--ramp_time=${opts.rampSeconds}`,
    '--lat_percentiles=1',
    '--output-format=json',
  ];
  const before = cpuTimes();
  const ticksBefore = processes.map((process) => processTicks(process.pid));
  const startedAt = process.hrtime.bigint();
  const { stdout } = await runCommand('fio', args, { timeoutMs: (opts.seconds + opts.rampSeconds + 60) * 1000 });
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const ticksAfter = processes.map((process) => processTicks(process.pid));
  const after = cpuTimes();
  const ticksPerSecond = 100; // USER_HZ on Linux
  const result = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
    jobs: { error: number; usr_cpu: number; sys_cpu: number; write: { iops: number; lat_ns: { mean: number; percentile?: Record<string, number> } } }[];
  };
  const job = result.jobs[0];
  if (job.error !== 0) throw new Error(`fio reported error ${job.error} on ${uri}`);
  const p99 = job.write.lat_ns.percentile?.['99.000000'];
  if (p99 === undefined) throw new Error('fio output has no latency percentiles');
  const processCpu: Record<string, number> = { fio: job.usr_cpu + job.sys_cpu };
  processes.forEach((process, index) => (processCpu[process.name] = ((ticksAfter[index] - ticksBefore[index]) / ticksPerSecond / wallSeconds) * 100));
  return { iops: job.write.iops, meanUs: job.write.lat_ns.mean / 1000, p99Us: p99 / 1000, cpuBusy: (after.busy - before.busy) / (after.total - before.total), processCpu };
}

/** `fio 40%, bridge 95%, …` in % of one core. */
function cpuList(point: Point): string {
  return Object.entries(point.processCpu)
    .map(([name, share]) => `${name} ${share.toFixed(0)}%`)
    .join(', ');
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────

interface Config {
  key: 'A' | 'B' | 'C' | 'D' | 'E';
  label: string;
  uri: string;
  /** The processes on the path besides fio, for CPU accounting. */
  processes: { name: string; pid: number }[];
}

async function main(): Promise<void> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces, routes)');
  for (const tool of ['fio', 'qemu-nbd', 'qemu-storage-daemon', 'qemu-img', 'nbdinfo', 'ip', 'dd']) {
    if (!(await exists('sh', ['-c', `command -v ${tool}`]))) throw new Error(`${tool} is not installed`);
  }
  const started = Date.now();

  // Work folder on the machine's disk (not tmpfs: O_DIRECT), removed at the end.
  await fs.mkdir('/var/tmp', { recursive: true });
  const workDir = await fs.mkdtemp('/var/tmp/bp-bench-');
  undo.push({ what: `removed ${workDir}`, run: () => fs.rm(workDir, { recursive: true, force: true }) });

  // Network: the bridge (only removed if this run created it and nothing else joined it) and two hosts.
  undo.push({
    what: `removed bridge ${STORAGE_BRIDGE} (unless other hosts are on it)`,
    run: async () => {
      await removeStorageBridge();
    },
  });
  const hosts: StorageHostNetwork[] = [];
  for (const index of [HOST_A, HOST_B]) {
    if (await exists('ip', ['netns', 'exec', `bp-host${index}`, 'true'])) {
      throw new Error(`network namespace bp-host${index} already exists (left over from an interrupted run?); remove it with: ip netns del bp-host${index}`);
    }
    const host = await createStorageHostNetwork(index);
    undo.push({ what: `removed network namespace ${host.netns}`, run: () => removeStorageHostNetwork(host) });
    hosts.push(host);
  }
  const [hostA, hostB] = hosts;
  log(`hosts: ${hostA.netns} ${hostA.address}, ${hostB.netns} ${hostB.address} on ${STORAGE_BRIDGE} (quickack on every route)`);

  // Data: three copies (primary and mirror of the volume, a copy without mirror) and two baseline files.
  const sizeBytes = opts.sizeMiB * MiB;
  const storeA = new CopyStore({ dataDir: path.join(workDir, 'a') });
  const storeB = new CopyStore({ dataDir: path.join(workDir, 'b') });
  const newCopy = async (store: CopyStore, volumeId: string, copyId: string, role: CopyRole) => {
    const copy = await store.create({ volumeId, copyId, role, generation: 1, sizeBytes, iops: 0 });
    undo.push({ what: `released copy ${copyId}`, run: () => copy.release() });
    return copy;
  };
  const primaryCopy = await newCopy(storeA, 'vol-bench-replicated', 'cpy-bench-primary', CopyRole.Primary);
  const mirrorCopy = await newCopy(storeB, 'vol-bench-replicated', 'cpy-bench-mirror', CopyRole.Mirror);
  const soloCopy = await newCopy(storeA, 'vol-bench-nomirror', 'cpy-bench-solo', CopyRole.Primary);
  const fencedPrimaryCopy = await newCopy(storeA, 'vol-bench-fenced', 'cpy-bench-fenced-p', CopyRole.Primary);
  const fencedMirrorCopy = await newCopy(storeB, 'vol-bench-fenced', 'cpy-bench-fenced-m', CopyRole.Mirror);
  const basePlainFile = path.join(workDir, 'baseline-plain.raw');
  const baseTlsFile = path.join(workDir, 'baseline-tls.raw');
  for (const file of [basePlainFile, baseTlsFile]) await runCommand('qemu-img', ['create', '-q', '-f', 'raw', '-o', 'preallocation=falloc', file, String(sizeBytes)]);
  const files = [primaryCopy.dataPath, mirrorCopy.dataPath, soloCopy.dataPath, fencedPrimaryCopy.dataPath, fencedMirrorCopy.dataPath, basePlainFile, baseTlsFile];
  log(`prefilling ${files.length} files of ${opts.sizeMiB} MiB (every block written once, so no run pays for unwritten extents)`);
  for (const file of files) await prefill(file, opts.sizeMiB);

  // Servers on host A (and the mirror on host B).
  const clientKey = generatePskKey('bench-client');
  const replicationKey = generatePskKey('bench-replication');
  const basePlainServer = await startQemuNbdServer(hostA, workDir, 'baseline-plain', PORTS.basePlain, basePlainFile);
  const baseTlsServer = await startQemuNbdServer(hostA, workDir, 'baseline-tls', PORTS.baseTls, baseTlsFile, clientKey);
  const mirror = await serveCopy(mirrorCopy, hostB, PORTS.mirror, [replicationKey]);
  const primary = await serveCopy(primaryCopy, hostA, PORTS.primary, [clientKey]);
  const solo = await serveCopy(soloCopy, hostA, PORTS.nomirror, [clientKey]);
  const fencedExport = `${fencedMirrorCopy.volumeId}.g1`;
  const fencedMirror = await serveCopy(fencedMirrorCopy, hostB, PORTS.fencedMirror, [replicationKey], { name: fencedExport, writethrough: true });
  const fencedPrimary = await serveCopy(fencedPrimaryCopy, hostA, PORTS.fencedPrimary, [clientKey]);
  const staleEvents: string[] = [];
  for (const served of [primary, fencedPrimary]) served.runtime.on('replica-stale', (event: { reason: string }) => staleEvents.push(event.reason));
  const mirrorStarted = Date.now();
  await primary.runtime.startMirror({ address: { type: 'inet', host: hostB.address, port: PORTS.mirror }, exportName: mirrorCopy.volumeId, key: replicationKey });
  await fencedPrimary.runtime.startMirror({ address: { type: 'inet', host: hostB.address, port: PORTS.fencedMirror }, exportName: fencedExport, key: replicationKey });
  log(`mirrors ${hostA.address} → ${hostB.address} in sync (two full copies of ${opts.sizeMiB} MiB over TLS-PSK took ${((Date.now() - mirrorStarted) / 1000).toFixed(1)} s)`);

  // Client side (the root namespace): one bridge per TLS export, as `blockplane attach --bridge-only` runs it.
  const runRoot = path.join(workDir, 'run');
  const bridgeB = await bridgeTo(runRoot, 'baseline-tls', hostA, PORTS.baseTls, 'baseline-tls', clientKey);
  const bridgeC = await bridgeTo(runRoot, 'vol-bench-nomirror', hostA, PORTS.nomirror, soloCopy.volumeId, clientKey);
  const bridgeD = await bridgeTo(runRoot, 'vol-bench-replicated', hostA, PORTS.primary, primaryCopy.volumeId, clientKey);
  const bridgeE = await bridgeTo(runRoot, 'vol-bench-fenced', hostA, PORTS.fencedPrimary, fencedPrimaryCopy.volumeId, clientKey);
  const configs: Config[] = [
    { key: 'A', label: 'qemu-nbd, no TLS, fio direct over TCP', uri: `nbd://${hostA.address}:${PORTS.basePlain}/baseline-plain`, processes: [{ name: 'qemu-nbd', pid: basePlainServer.pid! }] },
    { key: 'B', label: 'qemu-nbd, TLS-PSK, via bridge (baseline)', uri: bridgeUri(bridgeB), processes: [{ name: 'bridge', pid: bridgeB.pid }, { name: 'qemu-nbd', pid: baseTlsServer.pid! }] },
    { key: 'C', label: 'Blockplane copy, no mirror, via bridge', uri: bridgeUri(bridgeC), processes: [{ name: 'bridge', pid: bridgeC.pid }, { name: 'qsd', pid: solo.daemon.pid! }] },
    {
      key: 'D',
      label: 'volume before fencing, sync mirror, via bridge',
      uri: bridgeUri(bridgeD),
      processes: [{ name: 'bridge', pid: bridgeD.pid }, { name: 'qsd primary', pid: primary.daemon.pid! }, { name: 'qsd mirror', pid: mirror.daemon.pid! }],
    },
    {
      key: 'E',
      label: 'Blockplane volume, fenced, via bridge',
      uri: bridgeUri(bridgeE),
      processes: [{ name: 'bridge', pid: bridgeE.pid }, { name: 'qsd primary', pid: fencedPrimary.daemon.pid! }, { name: 'qsd mirror', pid: fencedMirror.daemon.pid! }],
    },
  ];

  const versions = {
    kernel: (await runCommand('uname', ['-r'])).stdout.trim(),
    cpus: (await runCommand('nproc', [])).stdout.trim(),
    qemu: (await runCommand('qemu-storage-daemon', ['--version'])).stdout.split('\n')[0].trim(),
    fio: (await runCommand('fio', ['--version'])).stdout.trim(),
    disk: (await runCommand('df', ['--output=source,fstype', workDir])).stdout.trim().split('\n')[1].replace(/\s+/g, ' '),
  };
  // Other work on the machine skews every figure: sample the CPU while nothing of ours runs
  // (and, with --wait-idle, wait for a quiet moment).
  const waitUntil = Date.now() + opts.waitIdleSeconds * 1000;
  let backgroundBusy: number;
  for (;;) {
    const idleBefore = cpuTimes();
    await sleep(2_000);
    const idleAfter = cpuTimes();
    backgroundBusy = (idleAfter.busy - idleBefore.busy) / (idleAfter.total - idleBefore.total);
    if (backgroundBusy <= 0.1 || Date.now() >= waitUntil) break;
    log(`machine ${(backgroundBusy * 100).toFixed(0)}% busy with other work; waiting (--wait-idle ${opts.waitIdleSeconds})`);
  }
  log(`background CPU load before measuring: ${(backgroundBusy * 100).toFixed(0)}% busy${backgroundBusy > 0.1 ? ' — WARNING: something else is running; figures will be low and noisy' : ''}`);
  log(`measuring: ${configs.length} configurations × QD1, QD16; ${opts.seconds} s each after ${opts.rampSeconds} s ramp; fio randrepeat (same offsets in every run)`);
  const results: Record<string, Record<number, Point>> = { A: {}, B: {}, C: {}, D: {}, E: {} };
  for (const iodepth of [1, 16]) {
    for (const config of configs) {
      const point = await fio(config.uri, iodepth, opts, config.processes);
      results[config.key][iodepth] = point;
      log(`${config.key} QD${String(iodepth).padEnd(2)} ${config.label.padEnd(44)} ${Math.round(point.iops).toString().padStart(6)} IOPS  mean ${point.meanUs.toFixed(0).padStart(5)} µs  p99 ${point.p99Us.toFixed(0).padStart(6)} µs  machine ${(point.cpuBusy * 100).toFixed(0)}% busy; ${cpuList(point)}`);
    }
  }

  // The volume's figures count only if the mirror stayed synchronous the whole time; then prove the
  // mirror holds every write: soft-cancel (final sync, no pivot) and compare both files.
  const replicaStatus = [primary, fencedPrimary].every((served) => served.runtime.replicaStatus === 'in-sync') ? 'in-sync' : `${primary.runtime.replicaStatus}/${fencedPrimary.runtime.replicaStatus}`;
  await primary.runtime.stopMirror();
  await fencedPrimary.runtime.stopMirror();
  const sums = await Promise.all([primaryCopy, mirrorCopy, fencedPrimaryCopy, fencedMirrorCopy].map((copy) => sha256OfFileDirect(copy.dataPath)));
  const [primarySum, mirrorSum] = [`${sums[0]}${sums[2]}`, `${sums[1]}${sums[3]}`];

  // ─── report ───
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const pct = (share: number) => `${Math.round(share * 100)}%`.padStart(4);
  const lines: string[] = [];
  lines.push('');
  lines.push(`Blockplane replication benchmark: 4 KiB random writes, fio ${versions.fio} nbd engine, ${opts.seconds} s per point (+${opts.rampSeconds} s ramp)`);
  lines.push(`${versions.qemu}; kernel ${versions.kernel}; ${versions.cpus} vCPU; all files on ${versions.disk}; volumes ${opts.sizeMiB} MiB, prefilled`);
  lines.push(`background CPU load just before measuring: ${(backgroundBusy * 100).toFixed(0)}% of all vCPUs busy${backgroundBusy > 0.1 ? ' (WARNING: not an idle machine)' : ''}`);
  lines.push(`hosts = network namespaces ${hostA.netns} (${hostA.address}) and ${hostB.netns} (${hostB.address}) on a bridge, quickack on every route`);
  lines.push('');
  lines.push('   configuration                                   |  QD1 IOPS  mean µs  p99 µs  CPU | QD16 IOPS  mean µs  p99 µs  CPU');
  lines.push('   ------------------------------------------------+---------------------------------+---------------------------------');
  for (const config of configs) {
    const q1 = results[config.key][1];
    const q16 = results[config.key][16];
    lines.push(
      `${config.key}  ${config.label.padEnd(47)} | ${f(q1.iops).padStart(8)} ${q1.meanUs.toFixed(0).padStart(8)} ${q1.p99Us.toFixed(0).padStart(7)} ${pct(q1.cpuBusy)} | ${f(q16.iops).padStart(9)} ${q16.meanUs.toFixed(0).padStart(8)} ${q16.p99Us.toFixed(0).padStart(7)} ${pct(q16.cpuBusy)}`,
    );
  }
  lines.push('');
  lines.push('   A: fio ─TCP─▶ qemu-nbd (host A) ─▶ file');
  lines.push('   B: fio ─unix─▶ bridge (qemu-nbd, TLS-PSK client) ─TCP+TLS─▶ qemu-nbd TLS-PSK (host A) ─▶ file');
  lines.push('   C: fio ─unix─▶ bridge ─TCP+TLS─▶ qemu-storage-daemon (host A: throttle→raw→file, O_DIRECT)');
  lines.push('   D: as C, plus a write-blocking mirror ─TCP+TLS─▶ qemu-storage-daemon (host B) ─▶ file (as before fencing)');
  lines.push('   E: as D, the mirror export write-through (a flush on host B before each write is answered) and named by generation');
  lines.push(`   CPU: busy share of all ${versions.cpus} vCPUs during the run (fio, bridge and servers share them, and so does anything else running).`);
  lines.push('');
  lines.push('   CPU per process on the path (% of one core; each QEMU process does its NBD and TLS work in one main-loop thread)');
  for (const config of configs) {
    for (const iodepth of [1, 16]) lines.push(`   ${config.key} QD${String(iodepth).padEnd(2)}  ${cpuList(results[config.key][iodepth])}`);
  }
  lines.push('');
  lines.push('   ratio (IOPS; latency as mean/p99 factor)             |   QD1                      |  QD16');
  const ratioLine = (name: string, a: 'A' | 'B' | 'C' | 'D' | 'E', b: 'A' | 'B' | 'C' | 'D' | 'E') => {
    const cell = (qd: number) => {
      const x = results[a][qd];
      const y = results[b][qd];
      return `${ratio(x.iops, y.iops)}× IOPS, lat ${ratio(x.meanUs, y.meanUs)}/${ratio(x.p99Us, y.p99Us)}×`;
    };
    lines.push(`   ${name.padEnd(53)}| ${cell(1).padEnd(27)}| ${cell(16)}`);
  };
  ratioLine('E/B volume vs baseline, same client path (headline)', 'E', 'B');
  ratioLine('E/D cost of the fencing (write-through mirror)', 'E', 'D');
  ratioLine('D/C cost of the synchronous mirror alone', 'D', 'C');
  ratioLine('C/B qemu-storage-daemon copy vs plain qemu-nbd', 'C', 'B');
  ratioLine('B/A client bridge + TLS-PSK', 'B', 'A');
  ratioLine('E/A volume vs plain qemu-nbd without TLS or bridge', 'E', 'A');
  lines.push('');
  lines.push(
    `mirror check: replica ${replicaStatus} through every run${staleEvents.length ? ` — STALE: ${staleEvents.join('; ')}` : ''}; ` +
      `after a soft cancel the primary and mirror files of both volumes are ${primarySum === mirrorSum ? `identical (sha256 ${primarySum.slice(0, 16)}…)` : `DIFFERENT (${primarySum.slice(0, 12)} vs ${mirrorSum.slice(0, 12)})`}`,
  );
  lines.push('The mirror writes every block a second time to the same disk, so D/B and E/B cannot exceed about 0.5 on one disk.');
  console.log(lines.join('\n'));
  if (opts.json) {
    await fs.writeFile(opts.json, JSON.stringify({ versions, options: opts, backgroundBusy, configs, results, replicaStatus, staleEvents, mirrorIdentical: primarySum === mirrorSum }, null, 2) + '\n');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; cleaning up`);
  if (replicaStatus !== 'in-sync' || staleEvents.length > 0 || primarySum !== mirrorSum) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
  });
