/**
 * Starts and stops the lease guard (lease-guard.ts) as a detached process of its own, so it
 * keeps running when the agent is frozen (SIGSTOP) or killed. One guard per data directory: a
 * guard left by an earlier agent is ended first (its pidfile, checked against /proc).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AgentLogger } from '../util/logger';

export const LEASE_GUARD_PID_FILE = 'lease-guard.pid';
export const LEASE_GUARD_LOG_FILE = 'lease-guard.log';

export interface LeaseGuardStartOptions {
  /** argv that runs the guard, to which `--lease-file FILE` is added. */
  command: readonly string[];
  dataDir: string;
  leaseFile: string;
  logger: AgentLogger;
}

export class LeaseGuardProcess {
  private constructor(
    readonly pid: number,
    private readonly pidFile: string,
    private readonly logger: AgentLogger,
  ) {}

  static async start(options: LeaseGuardStartOptions): Promise<LeaseGuardProcess> {
    const pidFile = path.join(options.dataDir, LEASE_GUARD_PID_FILE);
    const previous = await runningGuard(pidFile, options.leaseFile);
    if (previous !== undefined) {
      process.kill(previous, 'SIGKILL');
      options.logger.warn('ended the lease guard an earlier agent left running', { pid: previous });
    }
    const log = openSync(path.join(options.dataDir, LEASE_GUARD_LOG_FILE), 'a', 0o600);
    const [file, ...args] = options.command;
    const child = spawn(file as string, [...args, '--lease-file', options.leaseFile], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`the lease guard did not start: ${options.command.join(' ')}`);
    child.unref();
    await fs.writeFile(pidFile, `${child.pid}\n`, { mode: 0o600 });
    options.logger.info('lease guard started', { pid: child.pid, leaseFile: options.leaseFile });
    return new LeaseGuardProcess(child.pid, pidFile, options.logger);
  }

  /** SIGTERM (the agent stops cleanly: every daemon has quit, nothing is guarded any more). */
  async stop(): Promise<void> {
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // It ended by itself.
    }
    await fs.rm(this.pidFile, { force: true });
    this.logger.info('lease guard stopped', { pid: this.pid });
  }
}

async function runningGuard(pidFile: string, leaseFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await fs.readFile(pidFile, 'utf8')).trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.includes('lease-guard') && cmdline.includes(leaseFile) ? pid : undefined;
  } catch {
    return undefined;
  }
}
