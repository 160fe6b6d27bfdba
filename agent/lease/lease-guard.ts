/**
 * The lease guard: a process of its own beside the agent (started by it, detached), so that a
 * frozen or dead agent cannot keep an old primary serving (docs/replication-safety.md,
 * invariant 2). Every tick it reads the lease file; for each guarded copy it runs the copy's
 * probe at most every `probeIntervalMs` (bounded by `probeTimeoutMs`) and renews the lease at
 * the probe's start when it succeeds. A copy whose lease is older than `leaseMs` has its daemon
 * killed (SIGKILL, after checking the PID is still that daemon). A copy seen for the first time
 * starts with a fresh lease. All times are this process's monotonic clock.
 *
 * The guard ends by itself once the agent that wrote the file is gone and nothing is guarded.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AgentLogger, silentLogger } from '../util/logger';
import { runCommand } from '../util/run-command';
import { GuardedCopy, readLeaseFile } from './lease-file';

export const GUARD_TICK_MS = 200;
export const GUARD_PROBE_INTERVAL_MS = 500;
export const GUARD_PROBE_TIMEOUT_MS = 1_000;

export interface LeaseGuardOptions {
  leaseFile: string;
  /** @default {@link GUARD_TICK_MS} */
  tickMs?: number;
  /** @default {@link GUARD_PROBE_INTERVAL_MS} */
  probeIntervalMs?: number;
  /** @default {@link GUARD_PROBE_TIMEOUT_MS} */
  probeTimeoutMs?: number;
  logger?: AgentLogger;
}

interface LeaseState {
  generation: number;
  renewedAt: number;
  lastProbeAt: number;
  probing: boolean;
  killed: boolean;
}

export class LeaseGuard {
  private readonly leases = new Map<string, LeaseState>();
  private readonly tickMs: number;
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly logger: AgentLogger;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** The last file read, kept while it is unreadable (expiry goes on). */
  private lastLeaseMs = 0;
  private lastCopies: readonly GuardedCopy[] = [];
  private done: (() => void) | undefined;

  constructor(private readonly options: LeaseGuardOptions) {
    this.tickMs = options.tickMs ?? GUARD_TICK_MS;
    this.probeIntervalMs = options.probeIntervalMs ?? GUARD_PROBE_INTERVAL_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? GUARD_PROBE_TIMEOUT_MS;
    this.logger = (options.logger ?? silentLogger).child({ component: 'lease-guard' });
  }

  /** Runs until the agent is gone and nothing is guarded (or `stop()`). */
  run(): Promise<void> {
    this.logger.info('lease guard running', { leaseFile: this.options.leaseFile, pid: process.pid });
    return new Promise((resolve) => {
      this.done = resolve;
      this.timer = setInterval(() => void this.tick(), this.tickMs);
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.done?.();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const content = await readLeaseFile(this.options.leaseFile).catch((error: Error) => {
        this.logger.error('cannot read the lease file; keeping the last leases', { error: error.message });
        return 'unreadable' as const;
      });
      if (content === 'unreadable') return this.checkExpiry(undefined);
      const copies = content?.copies ?? [];
      const wanted = new Set(copies.map((copy) => copy.copyId));
      for (const copyId of [...this.leases.keys()]) if (!wanted.has(copyId)) this.leases.delete(copyId);
      const now = performance.now();
      for (const copy of copies) {
        let lease = this.leases.get(copy.copyId);
        if (!lease || lease.generation !== copy.generation) {
          lease = { generation: copy.generation, renewedAt: now, lastProbeAt: 0, probing: false, killed: false };
          this.leases.set(copy.copyId, lease);
          this.logger.info('guarding a primary', { copyId: copy.copyId, volumeId: copy.volumeId, generation: copy.generation, daemonPid: copy.daemonPid });
        }
        if (!lease.probing && !lease.killed && now - lease.lastProbeAt >= this.probeIntervalMs) void this.probe(copy, lease);
      }
      this.checkExpiry(content ? { leaseMs: content.leaseMs, copies } : undefined);
      if (copies.length === 0 && content && !isAlive(content.agentPid)) {
        this.logger.info('the agent is gone and nothing is guarded; lease guard ends');
        this.stop();
      }
    } finally {
      this.ticking = false;
    }
  }

  private checkExpiry(current: { leaseMs: number; copies: readonly GuardedCopy[] } | undefined): void {
    if (current) {
      this.lastLeaseMs = current.leaseMs;
      this.lastCopies = current.copies;
    }
    const now = performance.now();
    for (const copy of this.lastCopies) {
      const lease = this.leases.get(copy.copyId);
      if (!lease || lease.killed || now - lease.renewedAt <= this.lastLeaseMs) continue;
      lease.killed = true;
      const killed = killDaemon(copy);
      this.logger.error('lease expired: the primary\'s mirror stopped confirming its generation; its daemon is killed so it serves nothing more', {
        copyId: copy.copyId,
        volumeId: copy.volumeId,
        generation: copy.generation,
        daemonPid: copy.daemonPid,
        killed,
        msSinceRenewal: Math.round(now - lease.renewedAt),
      });
    }
  }

  private async probe(copy: GuardedCopy, lease: LeaseState): Promise<void> {
    const started = performance.now();
    lease.probing = true;
    lease.lastProbeAt = started;
    try {
      const [file, ...args] = copy.probe;
      await runCommand(file as string, args, { timeoutMs: this.probeTimeoutMs });
      if (started > lease.renewedAt) lease.renewedAt = started;
    } catch (error) {
      this.logger.debug('lease probe failed', { copyId: copy.copyId, error: (error as Error).message });
    } finally {
      lease.probing = false;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL of the copy's daemon, only if the PID still runs that daemon. */
function killDaemon(copy: GuardedCopy): boolean {
  try {
    if (!readFileSync(`/proc/${copy.daemonPid}/cmdline`, 'utf8').includes(copy.daemonMarker)) return false;
    process.kill(copy.daemonPid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
