/**
 * The client side of `blockplane attach`: a local TLS-PSK bridge in front of a volume's export.
 *
 * Why a bridge: the kernel's `nbd-client` (3.24) speaks TLS only with X.509 certificates, and
 * Blockplane exports accept TLS-PSK only (one key per volume, trial §6). So a `qemu-nbd`
 * process connects to the export as a TLS-PSK *client* (`--image-opts driver=nbd,…,tls-creds=`
 * with a `tls-creds-psk,endpoint=client` object) and serves the same blocks, without TLS, on a
 * unix socket that only root can open. `nbd-client -unix <socket>` (or qemu-io, nbdinfo, fio)
 * then talks to that socket.
 *
 * Files, all under `<runRoot>/<volumeId>/` (mode 0700; runRoot defaults to /run/blockplane):
 * - `tls/keys.psk`  the volume's client key, `<identity>:<hex>`, mode 0600 in a 0700 folder
 * - `nbd.sock`      the bridge's unix socket, mode 0600
 * - `bridge.pid`    written by qemu-nbd itself once the export is open (the readiness signal)
 * - `bridge.log`    qemu-nbd's stdout and stderr
 * - `state.json`    what `detach` and a re-run of `attach` need: attachment, endpoint, PID, device
 *
 * qemu-nbd creates its socket *before* it connects to the export and writes its pid file only
 * after the export opened (checked on 7.2), so the bridge counts as started when the pid file
 * names the process we spawned. A wrong key makes qemu-nbd exit ("TLS handshake failed"); a
 * peer that never answers is cut off by `readyTimeoutMs`. The bridge runs in its own session
 * (detached), so it outlives the CLI; it is stopped by the PID recorded in `state.json`, after
 * checking `/proc/<pid>/cmdline` still names qemu-nbd with this socket (PIDs get reused).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { assertValidPskKey, writePskKeysFile } from '../agent/tls/psk-keys-file';
import { writeFileAtomic } from '../agent/util/atomic-write';
import type { AttachmentView } from '../client/blockplane-api';

export const DEFAULT_RUN_ROOT = '/run/blockplane';
export const BRIDGE_FILES = {
  tlsDir: 'tls',
  socket: 'nbd.sock',
  pid: 'bridge.pid',
  log: 'bridge.log',
  state: 'state.json',
} as const;


export interface BridgeOptions {
  /** @default /run/blockplane */
  readonly runRoot?: string;
  /** @default 'qemu-nbd' */
  readonly qemuNbdBinary?: string;
  /** How long the bridge may take to open the export (TCP + TLS + NBD handshake). @default 15000 */
  readonly readyTimeoutMs?: number;
  /**
   * The bridge's NBD client node holds requests this long while it reconnects to the same
   * export after a dropped connection, instead of failing them at once. @default 5
   */
  readonly reconnectDelaySeconds?: number;
  /** Clients the unix socket serves at once (kernel nbd-client, qemu-io, nbdinfo…). @default 8 */
  readonly maxClients?: number;
  /** Progress lines ("starting bridge…"). @default none */
  readonly onProgress?: (line: string) => void;
}

/** What `state.json` holds. */
export interface BridgeState {
  readonly schemaVersion: 1;
  readonly volumeId: string;
  readonly attachmentId: string;
  readonly generation: number;
  readonly hostId: string;
  readonly endpoint: { readonly address: string; readonly port: number; readonly exportName: string };
  readonly identity: string;
  readonly pid: number;
  readonly dir: string;
  readonly socketPath: string;
  /** The export name the unix socket serves (the same as the remote one). */
  readonly exportName: string;
  readonly startedAt: string;
  /** The kernel device, once `nbd-client` connected it. */
  readonly device?: string;
}

export class BridgeError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** The qemu-nbd process this error is about, when one was spawned (it is gone by then). */
    readonly pid?: number,
  ) {
    super(message, options);
    this.name = 'BridgeError';
  }
}

// Everything that ends up inside qemu-nbd's comma-separated option strings is checked against
// a pattern without commas or '=', so a value from the API can never add an option.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HOST_PATTERN = /^[A-Za-z0-9.:-]{1,253}$/;

function assertConnection(connection: AttachmentView): void {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(connection.volumeId)) problems.push(`volumeId ${JSON.stringify(connection.volumeId)}`);
  if (!NAME_PATTERN.test(connection.attachmentId)) problems.push(`attachmentId ${JSON.stringify(connection.attachmentId)}`);
  if (!HOST_PATTERN.test(connection.nbd?.address ?? '')) problems.push(`nbd.address ${JSON.stringify(connection.nbd?.address)}`);
  if (!Number.isInteger(connection.nbd?.port) || connection.nbd.port < 1 || connection.nbd.port > 65535) problems.push(`nbd.port ${connection.nbd?.port}`);
  if (!NAME_PATTERN.test(connection.nbd?.exportName ?? '')) problems.push(`nbd.exportName ${JSON.stringify(connection.nbd?.exportName)}`);
  if (connection.tls?.type !== 'psk') problems.push(`tls.type ${JSON.stringify(connection.tls?.type)} (only psk is supported)`);
  if (problems.length > 0) throw new BridgeError(`the attachment's connection details are not usable: ${problems.join(', ')}`);
  assertValidPskKey({ identity: connection.tls.identity, keyHex: connection.tls.keyHex });
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

/** True while `pid` is a live (not zombie) qemu-nbd serving `socketPath`. */
export function isBridgeProcess(pid: number, socketPath: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(argv[0] ?? '') === 'qemu-nbd' && argv.some((arg) => arg === `--socket=${socketPath}`);
  } catch {
    return false;
  }
}

export function isBridgeRunning(state: BridgeState): boolean {
  return isBridgeProcess(state.pid, state.socketPath);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tail(file: string, lines = 15): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the bridge for `connection` and resolves once it serves the export on its unix
 * socket. Refuses if a bridge for this volume still runs (stop it first: {@link stopBridge}).
 */
export async function startBridge(connection: AttachmentView, options: BridgeOptions = {}): Promise<BridgeState> {
  assertConnection(connection);
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
  const tlsDir = path.join(dir, BRIDGE_FILES.tlsDir);
  const socketPath = path.join(dir, BRIDGE_FILES.socket);
  const pidPath = path.join(dir, BRIDGE_FILES.pid);
  const logPath = path.join(dir, BRIDGE_FILES.log);
  if (Buffer.byteLength(socketPath) > 107) throw new BridgeError(`socket path ${socketPath} is longer than the 107 bytes a unix socket allows`);
  // Leftovers of a bridge that died: the socket file stays behind when qemu-nbd fails or is killed.
  await fs.rm(socketPath, { force: true });
  await fs.rm(pidPath, { force: true });
  await writePskKeysFile(tlsDir, [{ identity: connection.tls.identity, keyHex: connection.tls.keyHex }]);

  const tlsObject = `tls-creds-psk,id=bp-tls,endpoint=client,dir=${tlsDir},username=${connection.tls.identity}`;
  const image = [
    'driver=nbd',
    'server.type=inet',
    `server.host=${connection.nbd.address}`,
    `server.port=${connection.nbd.port}`,
    `export=${connection.nbd.exportName}`,
    'tls-creds=bp-tls',
    `reconnect-delay=${options.reconnectDelaySeconds ?? 5}`,
  ].join(',');
  const args = [
    `--pid-file=${pidPath}`,
    '--persistent',
    `--shared=${options.maxClients ?? 8}`,
    `--socket=${socketPath}`,
    `--export-name=${connection.nbd.exportName}`,
    '--object',
    tlsObject,
    '--image-opts',
    image,
  ];
  progress(`starting TLS-PSK bridge: qemu-nbd → ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} as ${connection.tls.identity}`);
  const log = openSync(logPath, 'a', 0o600);
  const child = spawn(options.qemuNbdBinary ?? 'qemu-nbd', args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const pid = child.pid;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', (error) => (spawnError = error));
  child.unref();
  if (pid === undefined) {
    await sleep(0);
    throw new BridgeError(`could not start ${options.qemuNbdBinary ?? 'qemu-nbd'}: ${spawnError?.message ?? 'no PID'}`, { cause: spawnError });
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (spawnError) throw new BridgeError(`could not start qemu-nbd: ${spawnError.message}`, { cause: spawnError });
    if (exited) {
      await fs.rm(socketPath, { force: true });
      throw new BridgeError(
        `the bridge could not connect to ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} ` +
          `(qemu-nbd exited with ${exited.code ?? exited.signal}):\n${await tail(logPath)}`,
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
      await fs.rm(socketPath, { force: true });
      throw new BridgeError(
        `the bridge did not open ${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName} within ` +
          `${options.readyTimeoutMs ?? 15_000} ms (PID ${pid} killed):\n${await tail(logPath)}`,
        undefined,
        pid,
      );
    }
    await sleep(20);
  }
  await fs.chmod(socketPath, 0o600);
  const state: BridgeState = {
    schemaVersion: 1,
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
    startedAt: new Date().toISOString(),
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
 * Stops the bridge recorded in `state` by its PID (SIGTERM, then SIGKILL after `timeoutMs`)
 * and removes its socket, pid file and key file. The state file is removed too unless
 * `keepState` (a re-attach keeps the attachment id).
 */
export async function stopBridge(state: BridgeState, options: { timeoutMs?: number; keepState?: boolean } = {}): Promise<StopReport> {
  const wasRunning = isBridgeRunning(state);
  let killed = false;
  if (wasRunning) {
    killPid(state.pid, 'SIGTERM');
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    while (isBridgeRunning(state) && Date.now() < deadline) await sleep(20);
    if (isBridgeRunning(state)) {
      killPid(state.pid, 'SIGKILL');
      killed = true;
      const hardDeadline = Date.now() + 5_000;
      while (isBridgeRunning(state) && Date.now() < hardDeadline) await sleep(20);
      if (isBridgeRunning(state)) throw new BridgeError(`bridge PID ${state.pid} did not exit after SIGKILL`);
    }
  }
  await fs.rm(state.socketPath, { force: true });
  await fs.rm(path.join(state.dir, BRIDGE_FILES.pid), { force: true });
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
