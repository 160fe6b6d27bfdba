/**
 * The volume copies under one data directory (one mounted device of the host).
 *
 * `create` validates the specification, makes the copy's directory, takes the lock,
 * preallocates the raw file (`qemu-img create -o preallocation=falloc`: O_DIRECT writes into a
 * sparse file cause unwritten-extent conversions, qemu-7.2 §9.5) and writes the metadata last: a
 * copy without metadata is an interrupted creation and is removed.
 * `open` locks an existing copy and reads its metadata. `list` reads every copy's metadata
 * without locking (for the recovery scan).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CopyAlreadyExistsError, CopyMetadataCorruptError, CopyNotFoundError, InvalidCopySpecError } from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';
import { runCommand } from '../util/run-command';
import { CopyLock } from './copy-lock';
import { COPY_METADATA_SCHEMA_VERSION, CopyMetadata, readCopyMetadata, writeCopyMetadata } from './copy-metadata';
import { CopyRole } from './copy-role';
import { deriveNodeNames } from './node-names';
import { COPY_FILES, VolumeCopy, assertIops, assertNonNegativeInteger } from './volume-copy';

export interface CopySpec {
  volumeId: string;
  copyId: string;
  role: CopyRole;
  generation: number;
  sizeBytes: number;
  /** Committed IOPS; 0 means unlimited. */
  iops: number;
}

export interface CopyStoreOptions {
  dataDir: string;
  /** @default 'qemu-img' */
  qemuImgBinary?: string;
  /** @default 600000 - preallocation of a large file may take a while on slow disks. */
  preallocateTimeoutMs?: number;
  /** @default silentLogger */
  logger?: AgentLogger;
}

/** Ids become directory names and NBD export names: keep them to a safe alphabet. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** O_DIRECT needs sector-aligned I/O; 4 KiB covers 4Kn devices. */
export const SIZE_ALIGNMENT_BYTES = 4096;
export const MAX_SIZE_BYTES = 64 * 1024 ** 4;

export class CopyStore {
  private readonly qemuImg: string;
  private readonly preallocateTimeoutMs: number;
  private readonly logger: AgentLogger;

  constructor(private readonly options: CopyStoreOptions) {
    this.qemuImg = options.qemuImgBinary ?? 'qemu-img';
    this.preallocateTimeoutMs = options.preallocateTimeoutMs ?? 600_000;
    this.logger = (options.logger ?? silentLogger).child({ dataDir: options.dataDir });
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /**
   * Creates, preallocates and locks a new copy. `fill` writes the data file's first contents (a
   * restore from a snapshot) before the metadata is written: an interrupted fill leaves a folder
   * without metadata, which is never a copy (sweepIncomplete removes it), and a failed one removes it.
   */
  async create(spec: CopySpec, fill?: (dataPath: string) => Promise<unknown>): Promise<VolumeCopy> {
    validateSpec(spec);
    const dir = this.copyDir(spec.copyId);
    await fs.mkdir(this.options.dataDir, { recursive: true });
    try {
      await fs.mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CopyAlreadyExistsError(spec.copyId, this.options.dataDir);
      throw error;
    }
    const logger = this.logger.child({ volumeId: spec.volumeId, copyId: spec.copyId });
    let lock: CopyLock | undefined;
    try {
      lock = await CopyLock.acquire(path.join(dir, COPY_FILES.lock), spec.copyId);
      await runCommand(
        this.qemuImg,
        ['create', '-q', '-f', 'raw', '-o', 'preallocation=falloc', path.join(dir, COPY_FILES.data), String(spec.sizeBytes)],
        { timeoutMs: this.preallocateTimeoutMs },
      );
      if (fill) await fill(path.join(dir, COPY_FILES.data));
      const now = new Date().toISOString();
      const metadata: CopyMetadata = {
        schemaVersion: COPY_METADATA_SCHEMA_VERSION,
        volumeId: spec.volumeId,
        copyId: spec.copyId,
        role: spec.role,
        generation: spec.generation,
        sizeBytes: spec.sizeBytes,
        iops: spec.iops,
        nodeNames: deriveNodeNames(spec.copyId),
        createdAt: now,
        updatedAt: now,
      };
      await writeCopyMetadata(path.join(dir, COPY_FILES.metadata), metadata);
      logger.info('copy created', { sizeBytes: spec.sizeBytes, role: spec.role });
      return new VolumeCopy(dir, metadata, lock);
    } catch (error) {
      logger.error('copy creation failed; removing its directory', { error: (error as Error).message });
      await fs.rm(dir, { recursive: true, force: true });
      await lock?.release();
      throw error;
    }
  }

  /** Locks an existing copy and reads its metadata. */
  async open(copyId: string): Promise<VolumeCopy> {
    assertId('copyId', copyId);
    const dir = this.copyDir(copyId);
    try {
      await fs.access(path.join(dir, COPY_FILES.metadata));
    } catch {
      throw new CopyNotFoundError(copyId, this.options.dataDir);
    }
    const lock = await CopyLock.acquire(path.join(dir, COPY_FILES.lock), copyId);
    try {
      const metadata = await readCopyMetadata(path.join(dir, COPY_FILES.metadata));
      if (metadata.copyId !== copyId) {
        throw new CopyMetadataCorruptError(path.join(dir, COPY_FILES.metadata), `it names copy '${metadata.copyId}', expected '${copyId}'`);
      }
      await fs.access(path.join(dir, COPY_FILES.data));
      return new VolumeCopy(dir, metadata, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /** Names of the folders under the data directory that look like copy ids, sorted. */
  private async copyFolderNames(): Promise<string[]> {
    try {
      return (await fs.readdir(this.options.dataDir)).filter((name) => ID_PATTERN.test(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Metadata of every complete copy under the data directory (no locks taken). */
  async list(): Promise<CopyMetadata[]> {
    const copies: CopyMetadata[] = [];
    for (const entry of await this.copyFolderNames()) {
      try {
        copies.push(await readCopyMetadata(path.join(this.options.dataDir, entry, COPY_FILES.metadata)));
      } catch (error) {
        // Deliberately skipped: an interrupted creation or a foreign folder is not a copy.
        this.logger.warn('skipping a folder without usable copy metadata', { entry, error: (error as Error).message });
      }
    }
    return copies;
  }

  /** Bytes allocated so far to the data files of copies without metadata (creations in progress). */
  async creatingBytes(): Promise<number> {
    let bytes = 0;
    for (const entry of await this.copyFolderNames()) {
      const dir = this.copyDir(entry);
      const metadata = await fs.stat(path.join(dir, COPY_FILES.metadata)).catch(() => undefined);
      if (metadata) continue;
      const data = await fs.stat(path.join(dir, COPY_FILES.data)).catch(() => undefined);
      // st_blocks counts 512-byte units whatever the filesystem's block size.
      bytes += data ? data.blocks * 512 : 0;
    }
    return bytes;
  }

  /**
   * Removes interrupted creations: copy folders without metadata (the metadata is written
   * last, so such a folder never held an acknowledged write). A folder whose lock is held by
   * someone else is a creation in progress and is left alone. Returns the removed copy ids.
   */
  async sweepIncomplete(): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await this.copyFolderNames()) {
      const dir = this.copyDir(entry);
      if (!(await fs.stat(dir)).isDirectory()) continue;
      try {
        await fs.access(path.join(dir, COPY_FILES.metadata));
        continue;
      } catch {
        // No metadata: an interrupted creation, unless someone is creating it right now.
      }
      let lock: CopyLock;
      try {
        lock = await CopyLock.acquire(path.join(dir, COPY_FILES.lock), entry);
      } catch (error) {
        this.logger.warn('leaving an incomplete copy folder that is locked', { entry, error: (error as Error).message });
        continue;
      }
      try {
        await fs.rm(dir, { recursive: true, force: true });
        removed.push(entry);
        this.logger.warn('removed an interrupted copy creation', { copyId: entry });
      } finally {
        await lock.release();
      }
    }
    return removed;
  }

  private copyDir(copyId: string): string {
    return path.join(this.options.dataDir, copyId);
  }
}

function validateSpec(spec: CopySpec): void {
  assertId('volumeId', spec.volumeId);
  assertId('copyId', spec.copyId);
  if (!Object.values(CopyRole).includes(spec.role)) {
    throw new InvalidCopySpecError('role', spec.role, Object.values(CopyRole).join(' | '));
  }
  assertNonNegativeInteger('generation', spec.generation);
  if (!Number.isSafeInteger(spec.sizeBytes) || spec.sizeBytes <= 0 || spec.sizeBytes > MAX_SIZE_BYTES || spec.sizeBytes % SIZE_ALIGNMENT_BYTES !== 0) {
    throw new InvalidCopySpecError('sizeBytes', spec.sizeBytes, `a positive multiple of ${SIZE_ALIGNMENT_BYTES} up to ${MAX_SIZE_BYTES}`);
  }
  assertIops(spec.iops);
}

function assertId(field: string, value: string): void {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new InvalidCopySpecError(field, value, '1-128 characters [A-Za-z0-9_.-], starting with a letter or digit');
  }
}
