/**
 * Writes a gzip-compressed POSIX ustar archive of directories and regular files held in
 * memory: no links, devices or other entry types can be written, and every path is relative
 * (the report format, docs/diagnostics-collector.md). Entries are owned by 0:0, mode 0644
 * (files) or 0755 (directories), dated `mtime`.
 */
import { gzipSync } from 'node:zlib';

export type TarEntry = { readonly type: 'directory'; readonly path: string } | { readonly type: 'file'; readonly path: string; readonly content: Buffer };

const BLOCK = 512;
const MAX_NAME = 100;
const MAX_PREFIX = 155;

export class TarPathError extends Error {
  constructor(path: string, reason: string) {
    super(`cannot archive ${JSON.stringify(path)}: ${reason}`);
    this.name = 'TarPathError';
  }
}

export function writeTarGz(entries: readonly TarEntry[], mtime: Date): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? entry.content : Buffer.alloc(0);
    blocks.push(header(entry.type === 'directory' ? `${entry.path.replace(/\/$/, '')}/` : entry.path, entry.type, content.length, mtime));
    if (content.length > 0) {
      blocks.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) blocks.push(Buffer.alloc(padding));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks), { level: 6 });
}

function header(path: string, type: 'file' | 'directory', size: number, mtime: Date): Buffer {
  checkPath(path);
  const { name, prefix } = splitName(path);
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, MAX_NAME, 'utf8');
  octal(block, 100, 8, type === 'directory' ? 0o755 : 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, Math.floor(mtime.getTime() / 1000));
  block.fill(' ', 148, 156);
  block.write(type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  block.write(prefix, 345, MAX_PREFIX, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

function checkPath(path: string): void {
  if (path.startsWith('/')) throw new TarPathError(path, 'absolute');
  if (path.split('/').some((part) => part === '..' || part === '.')) throw new TarPathError(path, 'has . or .. components');
  if (/[\0\n]/.test(path)) throw new TarPathError(path, 'has a NUL or newline');
}

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= MAX_NAME) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', path.length - 2);
  const prefix = path.slice(0, cut);
  const name = path.slice(cut + 1);
  if (cut <= 0 || Buffer.byteLength(prefix) > MAX_PREFIX || Buffer.byteLength(name) > MAX_NAME) throw new TarPathError(path, 'too long for ustar');
  return { name, prefix };
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}
