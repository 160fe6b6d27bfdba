/**
 * The client side of `blockplane attach`: a local bridge in front of a volume's primary export
 * that keeps its clients connected when the primary moves (cutover, fail-over, key rotation).
 *
 * Why a bridge: the kernel's `nbd-client` (3.24) speaks TLS only with X.509 certificates, and
 * Blockplane exports accept TLS-PSK only (one key per attachment). And a kernel NBD device
 * cannot be pointed at another server under a mounted filesystem. So the bridge serves the
 * volume, without TLS, on a unix socket that only root can open, and follows the primary
 * itself: `nbd-client -unix <socket>` (or qemu-io, nbdinfo, fio) stays connected to the socket
 * while the bridge moves its own connection (client/bridge/bridge-daemon.ts has the design).
 *
 * The bridge is its own detached process (bin/attach-bridge-process.ts), which runs a
 * qemu-storage-daemon as its child. Files, all under `<runRoot>/<volumeId>/` (mode 0700;
 * runRoot defaults to /run/blockplane):
 * - `tls/keys.psk`  the attachment's client key, `<identity>:<hex>`, mode 0600 in a 0700 folder
 * - `bridge.json`   what the bridge process connects to and how it reaches the API (no key)
 * - `nbd.sock`      the bridge's unix socket, mode 0600
 * - `relay.sock`    the daemon's connection to the relay, mode 0600
 * - `bridge.pid`    written by the bridge process once the socket serves (the readiness signal)
 * - `bridge.log`    the bridge process's log; `qsd.*` the daemon's QMP socket, pid file and log
 * - `state.json`    what `detach` and a re-run of `attach` need: attachment, endpoint, PID, device
 *
 * A wrong key or an unreachable primary makes the bridge process exit before it serves; a peer
 * that never answers is cut off by `readyTimeoutMs`. The process is stopped by the PID recorded
 * in `state.json`, after checking `/proc/<pid>/cmdline` still names it with this socket (PIDs
 * get reused); its daemon is stopped with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writePskKeysFile } from '../agent/tls/psk-keys-file';
import { writeFileAtomic } from '../agent/util/atomic-write';
import type { AttachmentView } from '../client/blockplane-api';
import { BRIDGE_DAEMON_NAME } from '../client/bridge/bridge-daemon';
import { BridgeError } from '../client/bridge/bridge-error';
import { assertUsableConnection, NAME_PATTERN } from '../client/bridge/connection';
import type { UsageReportSettings } from '../client/bridge/usage-report';

export { BridgeError };

export const DEFAULT_RUN_ROOT = '/run/blockplane';
export const BRIDGE_FILES = {
  tlsDir: 'tls',
  config: 'bridge.json',
  socket: 'nbd.sock',
  relaySocket: 'relay.sock',
  pid: 'bridge.pid',
  log: 'bridge.log',
  state: 'state.json',
} as const;

const PROCESS_SCRIPT = path.join(__dirname, 'attach-bridge-process.ts');
const REPOSITORY_ROOT = path.join(__dirname, '..');

export interface BridgeOptions {
  /** @default /run/blockplane */
  readonly runRoot?: string;
  /** @default 'qemu-storage-daemon' */
  readonly qsdBinary?: string;
  /** How long the bridge may take to open the export (TCP + TLS + NBD handshake). @default 15000 */
  readonly readyTimeoutMs?: number;
  /**
   * The deployment's outputs file: the bridge reads the attachment through the API there (with
   * the AWS default credential chain of its environment) and follows the primary. Without it
   * the bridge stays on the primary it was started with (it still reconnects to it).
   */
  readonly outputsFile?: string;
  /** How often the bridge asks the API where the primary is. @default 5000 */
  readonly pollIntervalMs?: number;
  /**
   * How long the bridge holds client requests while it has no primary (switching, or waiting
   * for a fail-over); past it they fail with EIO. @default 300
   */
  readonly reconnectDelaySeconds?: number;
  /** Clients the unix socket serves at once (kernel nbd-client, qemu-io, nbdinfo…). @default 8 */
  readonly maxClients?: number;
  /**
   * Report the usage of the filesystem on this directory to `POST /volumes/{id}/utilization`
   * at the start and every interval while the bridge runs (client/bridge/usage-reporter.ts);
   * needs `outputsFile`. @default no reports
   */
  readonly usageReport?: UsageReportSettings;
  /** Progress lines ("starting bridge…"). @default none */
  readonly onProgress?: (line: string) => void;
}

/** What `bridge.json` holds: the bridge process's instructions (the key is in `tls/keys.psk`). */
export interface BridgeConfig {
  readonly attachment: Omit<AttachmentView, 'tls'>;
  readonly outputsFile?: string;
  readonly pollIntervalMs?: number;
  readonly reconnectDelaySeconds?: number;
  readonly maxClients?: number;
  readonly qsdBinary?: string;
  readonly usageReport?: UsageReportSettings;
}

/** What `state.json` holds. */
export interface BridgeState {
  readonly schemaVersion: 2;
  readonly volumeId: string;
  readonly attachmentId: string;
  /** The primary's generation, endpoint and key identity, as the bridge last followed them. */
  readonly generation: number;
  readonly hostId: string;
  readonly endpoint: { readonly address: string; readonly port: number; readonly exportName: string };
  readonly identity: string;
  /** The bridge process. */
  readonly pid: number;
  readonly dir: string;
  readonly socketPath: string;
  /** The export name the unix socket serves (the same as the remote one). */
  readonly exportName: string;
  /** The bridge follows the primary through the API (it was given an outputs file). */
  readonly follows: boolean;
  readonly startedAt: string;
  /** The kernel device, once `nbd-client` connected it. */
  readonly device?: string;
  /** What the bridge reports the filesystem usage of, if anything (`attach --report-usage`). */
  readonly usageReport?: UsageReportSettings;
}

export function bridgeDir(volumeId: string, runRoot = DEFAULT_RUN_ROOT): string {
  if (!NAME_PATTERN.test(volumeId)) throw new BridgeError(`not a volume id: ${JSON.stringify(volumeId)}`);
  return path.join(runRoot, volumeId);
}

/** The saved state of a volume's bridge, or undefined when there is none. */
export function readBridgeState(volumeId: string, runRoot = DEFAULT_RUN_ROOT): BridgeState | undefined {
  const file = path.join(bridgeDir(volumeId, runRoot), BRIDGE_FILES.state);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BridgeState;
  } catch (error) {
    throw new BridgeError(`${file} is not readable JSON; remove it after checking no bridge runs`, { cause: error });
  }
}

export async function writeBridgeState(state: BridgeState): Promise<void> {
  await writeFileAtomic(path.join(state.dir, BRIDGE_FILES.state), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** The command line of a live (not zombie) process, or undefined. */
function liveCmdline(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** True while `pid` is a live bridge process serving `socketPath`. */
export function isBridgeProcess(pid: number, socketPath: string): boolean {
  const argv = liveCmdline(pid);
  return argv !== undefined && argv.some((arg) => arg.endsWith('attach-bridge-process.ts')) && argv.includes(`--socket=${socketPath}`);
}

export function isBridgeRunning(state: BridgeState): boolean {
  return isBridgeProcess(state.pid, state.socketPath);
}


async function tail(file: string, lines = 15): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The bridge's qemu-storage-daemon, when its pid file names a live one on this folder's QMP
 * socket: a bridge process killed with SIGKILL leaves it behind.
 */
function leftoverDaemonPid(dir: string): number | undefined {
  const pid = Number(readFileSyncOr(path.join(dir, `${BRIDGE_DAEMON_NAME}.pid`)).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const argv = liveCmdline(pid);
  const monitor = path.join(dir, `${BRIDGE_DAEMON_NAME}.qmp`);
  return argv && path.basename(argv[0] ?? '') === 'qemu-storage-daemon' && argv.some((arg) => arg.includes(monitor)) ? pid : undefined;
}

function readFileSyncOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function killLeftoverDaemon(dir: string): Promise<void> {
  const pid = leftoverDaemonPid(dir);
  if (pid === undefined) return;
  killPid(pid, 'SIGKILL');
  const deadline = Date.now() + 5_000;
  while (liveCmdline(pid) && Date.now() < deadline) await sleep(20);
}

/**
 * Starts the bridge for `connection` and resolves once it serves the export on its unix
 * socket. Refuses if a bridge for this volume still runs (stop it first: {@link stopBridge}).
 */
export async function startBridge(connection: AttachmentView, options: BridgeOptions = {}): Promise<BridgeState> {
  assertUsableConnection(connection);
  if (options.usageReport && !options.outputsFile) throw new BridgeError('a bridge reports the filesystem usage through the API: it needs the outputs file');
  if (options.usageReport && !path.isAbsolute(options.usageReport.mountpoint)) {
    throw new BridgeError(`the usage report's directory must be absolute (the bridge runs elsewhere): ${JSON.stringify(options.usageReport.mountpoint)}`);
  }
  const runRoot = options.runRoot ?? DEFAULT_RUN_ROOT;
  const progress = options.onProgress ?? (() => undefined);
  const dir = bridgeDir(connection.volumeId, runRoot);
  const previous = readBridgeState(connection.volumeId, runRoot);
  if (previous && isBridgeRunning(previous)) {
    throw new BridgeError(`a bridge for ${connection.volumeId} already runs (PID ${previous.pid}, ${previous.socketPath}); stop it first`);
  }
  await fs.mkdir(runRoot, { recursive: true, mode: 0o700 });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const socketPath = path.join(dir, BRIDGE_FILES.socket);
  const pidPath = path.join(dir, BRIDGE_FILES.pid);
  const logPath = path.join(dir, BRIDGE_FILES.log);
  if (Buffer.byteLength(socketPath) > 107) throw new BridgeError(`socket path ${socketPath} is longer than the 107 bytes a unix socket allows`);
  // Leftovers of a bridge that died: its daemon (after a SIGKILL), the socket and pid files.
  await killLeftoverDaemon(dir);
  await fs.rm(socketPath, { force: true });
  await fs.rm(pidPath, { force: true });
  await writePskKeysFile(path.join(dir, BRIDGE_FILES.tlsDir), [{ identity: connection.tls.identity, keyHex: connection.tls.keyHex }]);
  const { tls: _key, ...attachment } = connection;
  const config: BridgeConfig = {
    attachment,
    ...(options.outputsFile ? { outputsFile: path.resolve(options.outputsFile) } : {}),
    pollIntervalMs: options.pollIntervalMs,
    reconnectDelaySeconds: options.reconnectDelaySeconds,
    maxClients: options.maxClients,
    qsdBinary: options.qsdBinary,
    ...(options.usageReport ? { usageReport: options.usageReport } : {}),
  };
  await writeFileAtomic(path.join(dir, BRIDGE_FILES.config), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });

  progress(
    `starting the bridge: ${socketPath} → ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} as ${connection.tls.identity}` +
      (options.outputsFile ? ' (following the primary through the API)' : '') +
      (options.usageReport ? `; reporting the usage of ${options.usageReport.mountpoint} every ${options.usageReport.intervalSeconds} s` : ''),
  );
  const log = openSync(logPath, 'a', 0o600);
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS_SCRIPT, `--dir=${dir}`, `--socket=${socketPath}`], {
    cwd: REPOSITORY_ROOT,
    // Explicitly: the bridge signs its API calls with the credentials of this environment
    // (a test runner's process.env is not always what a child inherits by default).
    env: process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', (error) => (spawnError = error));
  child.unref();
  if (pid === undefined) {
    await sleep(0);
    throw new BridgeError(`could not start the bridge process: ${spawnError?.message ?? 'no PID'}`, { cause: spawnError });
  }

  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) throw new BridgeError(`could not start the bridge process: ${spawnError.message}`, { cause: spawnError });
    if (exited) {
      await killLeftoverDaemon(dir);
      await fs.rm(socketPath, { force: true });
      throw new BridgeError(
        `the bridge could not connect to ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} ` +
          `(it exited with ${exited.code ?? exited.signal}):\n${await tail(logPath)}`,
        undefined,
        pid,
      );
    }
    const written = await fs.readFile(pidPath, 'utf8').catch(() => '');
    if (Number(written.trim()) === pid) break;
    if (Date.now() > deadline) {
      killPid(pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (!exited && Date.now() < killDeadline) await sleep(20);
      await killLeftoverDaemon(dir);
      await fs.rm(socketPath, { force: true });
      throw new BridgeError(
        `the bridge did not open ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} within ` +
          `${readyTimeoutMs} ms (PID ${pid} killed):\n${await tail(logPath)}`,
        undefined,
        pid,
      );
    }
    await sleep(20);
  }
  const state: BridgeState = {
    schemaVersion: 2,
    volumeId: connection.volumeId,
    attachmentId: connection.attachmentId,
    generation: connection.generation,
    hostId: connection.hostId,
    endpoint: { ...connection.nbd },
    identity: connection.tls.identity,
    pid,
    dir,
    socketPath,
    exportName: connection.nbd.exportName,
    follows: options.outputsFile !== undefined,
    startedAt: new Date().toISOString(),
    ...(options.usageReport ? { usageReport: options.usageReport } : {}),
  };
  await writeBridgeState(state);
  progress(`bridge running: PID ${pid}, unix socket ${socketPath} (export ${state.exportName})`);
  return state;
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export interface StopReport {
  readonly pid: number;
  /** The process was still a running bridge when asked to stop. */
  readonly wasRunning: boolean;
  /** SIGKILL was needed after SIGTERM timed out. */
  readonly killed: boolean;
}

/**
 * Stops the bridge recorded in `state` by its PID (SIGTERM, then SIGKILL after `timeoutMs`, and
 * its daemon with it) and removes its sockets, pid file, config and key file. The state file
 * is removed too unless `keepState` (a re-attach keeps the attachment id).
 */
export async function stopBridge(state: BridgeState, options: { timeoutMs?: number; keepState?: boolean } = {}): Promise<StopReport> {
  const wasRunning = isBridgeRunning(state);
  let killed = false;
  if (wasRunning) {
    killPid(state.pid, 'SIGTERM');
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (isBridgeRunning(state) && Date.now() < deadline) await sleep(20);
    if (isBridgeRunning(state)) {
      killPid(state.pid, 'SIGKILL');
      killed = true;
      const hardDeadline = Date.now() + 5_000;
      while (isBridgeRunning(state) && Date.now() < hardDeadline) await sleep(20);
      if (isBridgeRunning(state)) throw new BridgeError(`bridge PID ${state.pid} did not exit after SIGKILL`);
    }
  }
  await killLeftoverDaemon(state.dir);
  await fs.rm(state.socketPath, { force: true });
  await fs.rm(path.join(state.dir, BRIDGE_FILES.relaySocket), { force: true });
  await fs.rm(path.join(state.dir, BRIDGE_FILES.pid), { force: true });
  await fs.rm(path.join(state.dir, BRIDGE_FILES.config), { force: true });
  await fs.rm(path.join(state.dir, BRIDGE_FILES.tlsDir), { recursive: true, force: true });
  if (!options.keepState) await fs.rm(path.join(state.dir, BRIDGE_FILES.state), { force: true });
  return { pid: state.pid, wasRunning, killed };
}

/** Removes a volume's bridge folder (log included) once nothing in it is needed. */
export async function removeBridgeDir(volumeId: string, runRoot = DEFAULT_RUN_ROOT): Promise<void> {
  await fs.rm(bridgeDir(volumeId, runRoot), { recursive: true, force: true });
}

/** `nbd+unix:///export?socket=…`: the URI fio, nbdinfo and qemu-io take for the bridge. */
export function bridgeUri(state: Pick<BridgeState, 'exportName' | 'socketPath'>): string {
  return `nbd+unix:///${encodeURIComponent(state.exportName)}?socket=${encodeURIComponent(state.socketPath)}`;
}
