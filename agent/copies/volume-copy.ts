/**
 * One volume copy on this host, opened and locked by the agent.
 *
 * On disk, under `<dataDir>/<copyId>/`:
 * - `data.raw`  the preallocated raw data file (QEMU opens it with O_DIRECT)
 * - `copy.json` metadata ({@link CopyMetadata}), replaced atomically
 * - `lock`      the agent's exclusive lock ({@link CopyLock})
 * - `tls-server/keys.psk`, `tls-client/keys.psk` the PSK files of the copy's daemon (mode 0600)
 * - `run/`      the copy's qemu-storage-daemon files (socket, pidfile, running marker, log)
 *
 * A `VolumeCopy` exists only while its lock is held; `release()` gives the lock back.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { CopyReleasedError, InvalidCopySpecError } from '../errors';
import { CopyLock } from './copy-lock';
import { CopyMetadata, QuiesceRecord, writeCopyMetadata } from './copy-metadata';
import { CopyRole } from './copy-role';

export const COPY_FILES = {
  data: 'data.raw',
  metadata: 'copy.json',
  lock: 'lock',
  tlsServerDir: 'tls-server',
  tlsClientDir: 'tls-client',
  runDir: 'run',
} as const;

/** The fields the control plane may change on an existing copy. */
export interface CopyMetadataChange {
  role?: CopyRole;
  generation?: number;
  iops?: number;
  /** The NBD server's TCP port (1-65535). */
  nbdPort?: number;
  /** The desired size: grow only (a resize-copy); the data file follows in reconcile. */
  sizeBytes?: number;
  /** Replication quiesced for a modification; `null` ends the quiesce. */
  quiesced?: QuiesceRecord | null;
}

export class VolumeCopy {
  readonly dataPath: string;
  readonly metadataPath: string;
  readonly tlsServerDir: string;
  readonly tlsClientDir: string;
  readonly runDir: string;

  constructor(
    readonly dir: string,
    private current: CopyMetadata,
    private readonly lock: CopyLock,
  ) {
    this.dataPath = path.join(dir, COPY_FILES.data);
    this.metadataPath = path.join(dir, COPY_FILES.metadata);
    this.tlsServerDir = path.join(dir, COPY_FILES.tlsServerDir);
    this.tlsClientDir = path.join(dir, COPY_FILES.tlsClientDir);
    this.runDir = path.join(dir, COPY_FILES.runDir);
  }

  get metadata(): CopyMetadata {
    return this.current;
  }

  get copyId(): string {
    return this.current.copyId;
  }

  get volumeId(): string {
    return this.current.volumeId;
  }

  get isHeld(): boolean {
    return this.lock.held;
  }

  /** Validates and persists a metadata change atomically; returns the new metadata. */
  async updateMetadata(change: CopyMetadataChange): Promise<CopyMetadata> {
    this.assertHeld();
    if (change.generation !== undefined) {
      assertNonNegativeInteger('generation', change.generation);
      if (change.generation < this.current.generation) {
        throw new InvalidCopySpecError('generation', change.generation, `>= current generation ${this.current.generation}`);
      }
    }
    if (change.iops !== undefined) assertIops(change.iops);
    if (change.nbdPort !== undefined && (!Number.isInteger(change.nbdPort) || change.nbdPort < 1 || change.nbdPort > 65_535)) {
      throw new InvalidCopySpecError('nbdPort', change.nbdPort, 'an integer from 1 to 65535');
    }
    if (change.role !== undefined && !Object.values(CopyRole).includes(change.role)) {
      throw new InvalidCopySpecError('role', change.role, Object.values(CopyRole).join(' | '));
    }
    if (change.sizeBytes !== undefined && (!Number.isSafeInteger(change.sizeBytes) || change.sizeBytes < this.current.sizeBytes)) {
      throw new InvalidCopySpecError('sizeBytes', change.sizeBytes, `an integer >= the current size ${this.current.sizeBytes} (grow only)`);
    }
    const { quiesced, ...rest } = change;
    const next: CopyMetadata = { ...this.current, ...rest, updatedAt: new Date().toISOString() };
    if (quiesced === null) delete next.quiesced;
    else if (quiesced !== undefined) next.quiesced = quiesced;
    await writeCopyMetadata(this.metadataPath, next);
    this.current = next;
    return next;
  }

  /** Releases the exclusive lock; the handle is unusable afterwards. Idempotent. */
  async release(): Promise<void> {
    await this.lock.release();
  }

  /** Deletes the copy's files (the daemon must be stopped first) and releases the lock. */
  async destroy(): Promise<void> {
    this.assertHeld();
    await fs.rm(this.dir, { recursive: true, force: true });
    await this.lock.release();
  }

  assertHeld(): void {
    if (!this.lock.held) throw new CopyReleasedError(this.current.copyId);
  }
}

export const MAX_IOPS = 10_000_000;

export function assertIops(iops: number): void {
  if (!Number.isInteger(iops) || iops < 0 || iops > MAX_IOPS) {
    throw new InvalidCopySpecError('iops', iops, `an integer from 0 (unlimited) to ${MAX_IOPS}`);
  }
}

export function assertNonNegativeInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new InvalidCopySpecError(field, value, 'a non-negative integer');
}
