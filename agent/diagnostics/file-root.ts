/**
 * The files of a root filesystem: `/` on a live machine, or a root mounted on this machine
 * (offline mode), read the way its own system would see them and never anything outside it.
 *
 * A path is resolved one component at a time with `lstat`: a symbolic link is followed as if
 * the root were `/` (an absolute target restarts at the root, `..` stops at the root), so a
 * link to `/etc/shadow` names the image's own `etc/shadow`, never this machine's. Only regular
 * files are read, opened with `O_NOFOLLOW`, and the opened file must still lie under the root.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SourceAbsentError } from './collector';

/** Links followed while resolving one path, as the kernel's limit. */
const MAX_LINKS = 40;
const READ_CHUNK_BYTES = 1024 * 1024;

export class FileRootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRootError';
  }
}

export interface RegularFile {
  /** Where it is on this machine (under the root). */
  readonly hostPath: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

export class FileRoot {
  private constructor(readonly root: string) {}

  /** `mountPoint` must be a directory; it is used through its real path. */
  static async open(mountPoint: string): Promise<FileRoot> {
    let real: string;
    try {
      real = await fs.realpath(mountPoint);
    } catch (error) {
      throw new FileRootError(`root ${mountPoint} cannot be read: ${(error as Error).message}`);
    }
    const stat = await fs.stat(real);
    if (!stat.isDirectory()) throw new FileRootError(`root ${mountPoint} is not a directory`);
    return new FileRoot(real);
  }

  /**
   * The host path of `relative` (e.g. `etc/fstab`) inside the root, links resolved inside the
   * root; undefined when it does not exist.
   */
  async resolve(relative: string): Promise<string | undefined> {
    const pending = splitPath(relative);
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const candidate = path.join(this.root, ...done, part);
      let stat;
      try {
        stat = await fs.lstat(candidate);
      } catch {
        return undefined;
      }
      if (!stat.isSymbolicLink()) {
        done.push(part);
        continue;
      }
      if (++links > MAX_LINKS) throw new FileRootError(`${relative}: more than ${MAX_LINKS} links`);
      const target = await fs.readlink(candidate);
      if (path.isAbsolute(target)) done.length = 0;
      pending.unshift(...splitPath(target));
    }
    return path.join(this.root, ...done);
  }

  /** A regular file inside the root; {@link SourceAbsentError} when there is none. */
  async regularFile(relative: string): Promise<RegularFile> {
    const hostPath = await this.resolve(relative);
    if (hostPath === undefined) throw new SourceAbsentError(`${relative} is not in the root`);
    const stat = await fs.lstat(hostPath);
    if (!stat.isFile()) throw new SourceAbsentError(`${relative} in the root is not a regular file`);
    return { hostPath, sizeBytes: stat.size, mtimeMs: stat.mtimeMs };
  }

  /** The first `maxBytes` of a file (read to its end: files under /proc say size 0). */
  async readHead(file: RegularFile, maxBytes: number): Promise<{ content: Buffer; truncated: boolean }> {
    return this.withOpened(file, async (handle) => {
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
        if (bytesRead === 0) break;
        chunks.push(buffer.subarray(0, bytesRead));
        total += bytesRead;
        if (total > maxBytes) break;
      }
      const content = Buffer.concat(chunks);
      return content.length > maxBytes ? { content: content.subarray(0, maxBytes), truncated: true } : { content, truncated: false };
    });
  }

  /** The last `maxBytes` of a file (a log: its newest lines). */
  async readTail(file: RegularFile, maxBytes: number): Promise<{ content: Buffer; truncated: boolean }> {
    return this.withOpened(file, async (handle) => {
      const size = (await handle.stat()).size;
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, size - length);
      return { content: buffer.subarray(0, bytesRead), truncated: size > maxBytes };
    });
  }

  private async withOpened<T>(file: RegularFile, use: (handle: fs.FileHandle) => Promise<T>): Promise<T> {
    const handle = await fs.open(file.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const opened = await fs.readlink(`/proc/self/fd/${handle.fd}`);
      if (!isInside(this.root, opened)) throw new FileRootError(`${file.hostPath} resolved outside the root`);
      if (!(await handle.stat()).isFile()) throw new FileRootError(`${file.hostPath} is not a regular file`);
      return await use(handle);
    } finally {
      await handle.close();
    }
  }

  /** Regular files (not links) directly in a directory of the root, by name; [] when there is no such directory. */
  async regularFilesIn(relative: string): Promise<RegularFile[]> {
    const dir = await this.resolve(relative);
    if (dir === undefined) return [];
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return [];
    }
    const files: RegularFile[] = [];
    for (const name of names.sort()) {
      const stat = await fs.lstat(path.join(dir, name));
      if (stat.isFile()) files.push({ hostPath: path.join(dir, name), sizeBytes: stat.size, mtimeMs: stat.mtimeMs });
    }
    return files;
  }

  /** Sub-directories (not links) directly in a directory of the root. */
  async directoriesIn(relative: string): Promise<string[]> {
    const dir = await this.resolve(relative);
    if (dir === undefined) return [];
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory()).map((entry) => path.posix.join(relative, entry.name));
  }
}

function splitPath(value: string): string[] {
  return value.split('/').filter((part) => part !== '' && part !== '.');
}

function isInside(root: string, candidate: string): boolean {
  return root === '/' || candidate === root || candidate.startsWith(`${root}/`);
}
