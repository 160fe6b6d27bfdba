/**
 * One `qemu-storage-daemon` process, driven over one persistent QMP connection.
 *
 * Design decision: **one daemon per volume copy.** In QEMU 7.2 a daemon has a single NBD
 * server, and the PSK keys file of that server is its whole access list: any identity in it
 * reaches every export of the daemon, and `tls-authz` does not narrow it (qemu-7.2 §6). Running
 * one daemon per copy gives each copy's NBD server its own keys file holding only that
 * volume's keys, so a client holding one volume's key cannot open another volume's export.
 * Cost: about 8 MiB RSS per idle daemon (qemu-7.2 §0.7).
 *
 * Files in `runDir` (all named after `name`; {@link daemonFilesOf}):
 * - `<name>.qmp`     the agent's QMP unix socket (`--chardev socket,server=on,wait=off --monitor`)
 * - `<name>.adm`     the admin QMP socket, a second monitor for root on the host (like Ceph's
 *                    admin socket): inspect or change the daemon by hand while the agent holds
 *                    `<name>.qmp` (QMP serves one client per monitor). The agent uses it only to
 *                    stop a daemon an earlier agent left running (orphan-stop.ts).
 *                    Same length as `<name>.qmp`, so it fits the unix socket path limit exactly
 *                    when the agent's socket does. Both sockets are mode 0600 in a 0700 `runDir`.
 * - `<name>.pid`     QEMU's `--pidfile` (removed by QEMU on a clean quit)
 * - `<name>.running` the agent's running marker ({@link RunningMarker}): written before start,
 *                    removed only after a clean `quit`; found at start = unclean shutdown
 * - `<name>.log`     the daemon's stdout and stderr (a file, so the daemon does not depend on
 *                    the agent's pipes and survives an agent restart)
 *
 * Events: `'status'` (DaemonStatus), `'exited'` ({@link DaemonExit}; `expected: false` when the
 * process died while the agent did not ask it to stop).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  DaemonAlreadyRunningError,
  DaemonNotRunningError,
  DaemonStartError,
  InvalidCopySpecError,
  QmpConnectionClosedError,
} from '../errors';
import { QmpClient, QmpClientOptions } from '../qmp/qmp-client';
import { AgentLogger, silentLogger } from '../util/logger';
import { DaemonStatus, transitionDaemon } from './daemon-status';
import { RunningMarker, RunningMarkerContent } from './running-marker';

export interface StorageDaemonOptions {
  /** Names the daemon's files and log lines; 1-64 characters `[A-Za-z0-9_.-]`. */
  name: string;
  /** Directory for the QMP socket, pidfile, running marker and log; created if missing. */
  runDir: string;
  /** @default 'qemu-storage-daemon' (found on PATH) */
  binary?: string;
  /**
   * A command the daemon is started through, which must `exec` it (so the PID stays the
   * daemon's), e.g. `['ip', 'netns', 'exec', 'storage']` to run it in a network namespace.
   * @default none - the daemon is spawned directly
   */
  launchPrefix?: readonly string[];
  /** @default 10000 - time allowed from spawn until the monitor answers. */
  startTimeoutMs?: number;
  /** @default 10000 - time allowed for a `quit` to end the process before it is SIGKILLed. */
  stopTimeoutMs?: number;
  /** Options of the daemon's QMP client. @default QmpClient defaults */
  qmp?: Omit<QmpClientOptions, 'logger'>;
  /** @default silentLogger */
  logger?: AgentLogger;
}

/** Paths of a daemon's files in `runDir` (see the file comment). */
export interface DaemonFiles {
  socketPath: string;
  adminSocketPath: string;
  pidfilePath: string;
  logPath: string;
  markerPath: string;
}

export function daemonFilesOf(runDir: string, name: string): DaemonFiles {
  const file = (suffix: string) => path.join(runDir, `${name}.${suffix}`);
  return { socketPath: file('qmp'), adminSocketPath: file('adm'), pidfilePath: file('pid'), logPath: file('log'), markerPath: file('running') };
}

export interface DaemonStartReport {
  pid: number;
  /** True when the running marker of an earlier run was still there. */
  previousShutdownUnclean: boolean;
  /** What the earlier run wrote into its marker, if it was unclean. */
  leftoverMarker?: RunningMarkerContent;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** False when the process ended without the agent asking it to stop. */
  expected: boolean;
}

export interface DaemonStopReport {
  /** True when QEMU quit with status 0 after `quit`; the running marker is then removed. */
  clean: boolean;
  exit: DaemonExit;
}

/** Maximum wait between two attempts to reach the monitor while starting (linear 5 ms steps). */
const MONITOR_POLL_MAX_INTERVAL_MS = 50;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** Linux `sun_path` is 108 bytes including the terminating NUL. */
const MAX_UNIX_SOCKET_PATH = 107;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const LOG_TAIL_BYTES = 4096;
/** The QMP sockets: root only (QEMU creates them with the agent's umask). */
const SOCKET_MODE = 0o600;

export class StorageDaemon extends EventEmitter {
  readonly name: string;
  readonly socketPath: string;
  readonly adminSocketPath: string;
  readonly pidfilePath: string;
  readonly logPath: string;
  readonly marker: RunningMarker;
  private readonly binary: string;
  private readonly startTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly qmpOptions: Omit<QmpClientOptions, 'logger'>;
  private readonly logger: AgentLogger;
  private currentStatus: DaemonStatus = DaemonStatus.Stopped;
  private child: ChildProcess | undefined;
  private client: QmpClient | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitWaiters: Array<() => void> = [];

  constructor(private readonly options: StorageDaemonOptions) {
    super();
    if (!NAME_PATTERN.test(options.name)) {
      throw new InvalidCopySpecError('daemon name', options.name, '1-64 characters [A-Za-z0-9_.-]');
    }
    this.name = options.name;
    const files = daemonFilesOf(options.runDir, options.name);
    this.socketPath = files.socketPath;
    this.adminSocketPath = files.adminSocketPath;
    this.pidfilePath = files.pidfilePath;
    this.logPath = files.logPath;
    this.marker = new RunningMarker(files.markerPath);
    for (const [field, socket] of [['QMP socket path', this.socketPath], ['admin QMP socket path', this.adminSocketPath]] as const) {
      if (Buffer.byteLength(socket) > MAX_UNIX_SOCKET_PATH) {
        throw new InvalidCopySpecError(field, socket, `at most ${MAX_UNIX_SOCKET_PATH} bytes (choose a shorter runDir)`);
      }
    }
    this.binary = options.binary ?? 'qemu-storage-daemon';
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.qmpOptions = options.qmp ?? {};
    this.logger = (options.logger ?? silentLogger).child({ daemon: options.name });
  }

  get status(): DaemonStatus {
    return this.currentStatus;
  }

  /** PID of the daemon process, while one was started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The daemon's QMP connection; throws {@link DaemonNotRunningError} unless running. */
  get qmp(): QmpClient {
    if (this.currentStatus !== DaemonStatus.Running || !this.client) {
      throw new DaemonNotRunningError(this.name, this.currentStatus);
    }
    return this.client;
  }

  /**
   * Starts the daemon and connects to its monitor. Refuses with {@link DaemonAlreadyRunningError}
   * if a daemon recorded in the pidfile is still alive; reports an unclean previous shutdown.
   */
  async start(): Promise<DaemonStartReport> {
    if (this.currentStatus !== DaemonStatus.Stopped) {
      throw new DaemonNotRunningError(this.name, this.currentStatus);
    }
    await fs.mkdir(this.options.runDir, { recursive: true, mode: 0o700 });
    await this.refuseIfStillRunning();
    const leftoverMarker = await this.marker.readLeftover();
    if (leftoverMarker) {
      this.logger.warn('previous daemon did not shut down cleanly', { leftoverMarker });
    }
    this.setStatus(DaemonStatus.Starting);
    await this.marker.write({ daemonName: this.name, agentPid: process.pid, startedAt: new Date().toISOString() });
    await fs.rm(this.socketPath, { force: true });
    await fs.rm(this.adminSocketPath, { force: true });
    await fs.rm(this.pidfilePath, { force: true });

    const child = await this.spawnDaemon();
    try {
      this.client = await this.connectMonitor();
      // QEMU opens every --chardev before it serves a monitor, so both sockets exist by now.
      await Promise.all([fs.chmod(this.socketPath, SOCKET_MODE), fs.chmod(this.adminSocketPath, SOCKET_MODE)]);
    } catch (error) {
      await this.killAndWait();
      const logTail = await this.readLogTail();
      if (this.status === DaemonStatus.Starting) this.setStatus(DaemonStatus.Exited);
      throw new DaemonStartError(this.name, (error as Error).message, logTail, { cause: error });
    }
    this.client.once('close', () => this.logger.debug('QMP connection closed'));
    this.setStatus(DaemonStatus.Running);
    this.logger.info('daemon running', { pid: child.pid, previousShutdownUnclean: leftoverMarker !== undefined });
    return {
      pid: child.pid as number,
      previousShutdownUnclean: leftoverMarker !== undefined,
      ...(leftoverMarker ? { leftoverMarker } : {}),
    };
  }

  /**
   * Asks the daemon to `quit` and waits for it to exit; SIGKILLs it after `stopTimeoutMs`.
   * Only a clean quit (exit status 0) removes the running marker.
   */
  async stop(): Promise<DaemonStopReport> {
    if (this.currentStatus === DaemonStatus.Stopped || this.currentStatus === DaemonStatus.Exited) {
      return { clean: this.currentStatus === DaemonStatus.Stopped, exit: this.exitRecord(false) };
    }
    this.setStatus(DaemonStatus.Stopping);
    if (this.client && !this.client.closed) {
      try {
        await this.client.execute('quit', {}, { timeoutMs: this.stopTimeoutMs });
      } catch (error) {
        // Expected: QEMU may close the monitor before its answer to `quit` is read.
        if (!(error instanceof QmpConnectionClosedError)) {
          this.logger.warn('quit failed; the daemon will be killed', { error: (error as Error).message });
        }
      }
    }
    const exitedInTime = await this.waitForExit(this.stopTimeoutMs);
    if (!exitedInTime) {
      this.logger.warn('daemon did not quit in time; sending SIGKILL', { pid: this.pid, stopTimeoutMs: this.stopTimeoutMs });
      await this.killAndWait();
    }
    this.client?.close();
    const exit = this.exitRecord(true);
    const clean = exitedInTime && exit.code === 0;
    if (clean) {
      await this.marker.remove();
      if (this.currentStatus === DaemonStatus.Stopping) this.setStatus(DaemonStatus.Stopped);
    } else if (this.currentStatus === DaemonStatus.Stopping) {
      this.setStatus(DaemonStatus.Exited);
    }
    this.logger.info('daemon stopped', { clean, exit });
    return { clean, exit };
  }

  /** Resolves once the process has exited (immediately if it already has). */
  waitForExit(timeoutMs: number): Promise<boolean> {
    if (this.exitInfo || !this.child) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.exitWaiters = this.exitWaiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.exitWaiters.push(done);
    });
  }

  private async spawnDaemon(): Promise<ChildProcess> {
    const log = await fs.open(this.logPath, 'a', 0o600);
    let child: ChildProcess;
    const daemonArgs = [
      '--chardev', `socket,id=qmp0,path=${escapeOptionValue(this.socketPath)},server=on,wait=off`,
      '--monitor', 'chardev=qmp0',
      '--chardev', `socket,id=qmp-admin,path=${escapeOptionValue(this.adminSocketPath)},server=on,wait=off`,
      '--monitor', 'chardev=qmp-admin',
      '--pidfile', this.pidfilePath,
    ];
    const [file, ...args] = [...(this.options.launchPrefix ?? []), this.binary, ...daemonArgs];
    try {
      child = spawn(file as string, args, { stdio: ['ignore', log.fd, log.fd] });
    } finally {
      await log.close();
    }
    this.child = child;
    this.exitInfo = undefined;
    child.once('error', (error) => this.logger.error('daemon process error', { error: error.message }));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    if (child.pid === undefined) {
      await this.waitForExit(this.startTimeoutMs);
      this.setStatus(DaemonStatus.Exited);
      throw new DaemonStartError(this.name, `cannot spawn ${this.binary}`, await this.readLogTail());
    }
    return child;
  }

  /** Bounded polling: retry connecting until `startTimeoutMs`, backing off 5 ms per attempt up to 50 ms. */
  private async connectMonitor(): Promise<QmpClient> {
    const deadline = Date.now() + this.startTimeoutMs;
    let lastError: unknown = new Error('no attempt made');
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      if (this.exitInfo) {
        throw new Error(`process exited (code ${this.exitInfo.code}, signal ${this.exitInfo.signal}) before its monitor answered`);
      }
      try {
        return await QmpClient.connect(this.socketPath, {
          ...this.qmpOptions,
          connectTimeoutMs: Math.max(1, Math.min(this.qmpOptions.connectTimeoutMs ?? 5_000, deadline - Date.now())),
          logger: this.logger,
        });
      } catch (error) {
        lastError = error;
      }
      await delay(Math.min(MONITOR_POLL_MAX_INTERVAL_MS, attempt * 5));
    }
    throw new Error(`monitor did not answer within ${this.startTimeoutMs} ms: ${(lastError as Error).message}`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitInfo = { code, signal };
    const expected = this.currentStatus === DaemonStatus.Stopping;
    if (this.currentStatus === DaemonStatus.Running || this.currentStatus === DaemonStatus.Starting) {
      this.setStatus(DaemonStatus.Exited);
    }
    const exit: DaemonExit = { code, signal, expected };
    if (expected) {
      this.logger.info('daemon exited', { ...exit });
    } else {
      this.logger.error('daemon exited unexpectedly', { ...exit });
    }
    for (const waiter of this.exitWaiters) waiter();
    this.exitWaiters = [];
    this.emit('exited', exit);
  }

  private async killAndWait(): Promise<void> {
    if (!this.child?.pid || this.exitInfo) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch (error) {
      // ESRCH: it exited between the check and the signal; the exit handler records it.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await this.waitForExit(this.stopTimeoutMs);
  }

  private async refuseIfStillRunning(): Promise<void> {
    let pid: number;
    try {
      pid = Number.parseInt((await fs.readFile(this.pidfilePath, 'utf8')).trim(), 10);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (!Number.isInteger(pid) || pid <= 0) return;
    let cmdline: string;
    try {
      cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
    } catch {
      return; // the process is gone: the pidfile is stale (the marker tells about cleanliness)
    }
    // The PID may have been reused by an unrelated process: only our own daemon counts.
    if (cmdline.includes('qemu-storage-daemon') && cmdline.includes(this.pidfilePath)) {
      throw new DaemonAlreadyRunningError(this.name, pid);
    }
  }

  private exitRecord(expected: boolean): DaemonExit {
    return { code: this.exitInfo?.code ?? null, signal: this.exitInfo?.signal ?? null, expected };
  }

  private setStatus(next: DaemonStatus): void {
    this.currentStatus = transitionDaemon(this.currentStatus, next);
    this.emit('status', next);
  }

  private async readLogTail(): Promise<string> {
    try {
      const text = await fs.readFile(this.logPath, 'utf8');
      return text.slice(-LOG_TAIL_BYTES);
    } catch {
      return '';
    }
  }
}

/** QEMU option syntax: a comma inside a value is written as two commas. */
export function escapeOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

