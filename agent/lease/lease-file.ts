/**
 * The lease file: which served primaries hold a lease from their in-sync mirror, written by the
 * agent and read by the lease guard, a separate process (lease-guard.ts) that must keep working
 * when the agent is frozen or dead (docs/replication-safety.md, invariant 2).
 *
 * A guarded copy names its daemon and a probe: a command that exits 0 while the mirror still
 * accepts this primary's generation (an NBD handshake with the replication key on the mirror's
 * generation-named export). Each success renews the lease; a guard that sees no success for
 * `leaseMs` kills the daemon, so an old primary serves nothing after its mirror was promoted.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';

export const LEASE_FILE_NAME = 'leases.json';

export interface GuardedCopy {
  readonly copyId: string;
  readonly volumeId: string;
  readonly generation: number;
  readonly daemonPid: number;
  /** A string in the daemon's /proc/PID/cmdline (its run directory), so a reused PID is never killed. */
  readonly daemonMarker: string;
  /** argv of the probe; exit 0 renews the lease. */
  readonly probe: readonly string[];
}

export interface LeaseFileContent {
  readonly agentPid: number;
  readonly leaseMs: number;
  readonly copies: readonly GuardedCopy[];
}

export async function readLeaseFile(file: string): Promise<LeaseFileContent | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LeaseFileContent;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The agent's side: the set of guarded copies, each change written atomically and in order. */
export class LeaseBook {
  readonly file: string;
  private readonly copies = new Map<string, GuardedCopy>();
  private writes: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    readonly leaseMs: number,
  ) {
    this.file = path.join(dataDir, LEASE_FILE_NAME);
  }

  isGuarded(copyId: string): boolean {
    return this.copies.has(copyId);
  }

  /** Guards the copy (or updates its entry); resolves once the file says so. */
  guard(copy: GuardedCopy): Promise<void> {
    const current = this.copies.get(copy.copyId);
    if (current && JSON.stringify(current) === JSON.stringify(copy)) return this.writes;
    this.copies.set(copy.copyId, copy);
    return this.write();
  }

  /** Stops guarding the copy; resolves once the file says so. */
  release(copyId: string): Promise<void> {
    if (!this.copies.delete(copyId)) return this.writes;
    return this.write();
  }

  private write(): Promise<void> {
    const content: LeaseFileContent = { agentPid: process.pid, leaseMs: this.leaseMs, copies: [...this.copies.values()] };
    this.writes = this.writes.catch(() => undefined).then(() => writeFileAtomic(this.file, `${JSON.stringify(content)}\n`, { mode: 0o600 }));
    return this.writes;
  }
}
