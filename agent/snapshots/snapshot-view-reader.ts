/**
 * Reads a snapshot point's view in order, one chunk at a time, from its read-only NBD export with
 * `nbdcopy … -` (docs/snapshots.md, "Consistency": QEMU 7.2's FUSE export of the same view leaks
 * writes that race its reader; its NBD export does not). Backpressure holds nbdcopy while the
 * caller works on a chunk, so at most a pipe's worth is read ahead.
 */
import { spawn } from 'node:child_process';
import { SnapshotPointError } from './snapshot-errors';

export async function* readViewChunks(command: readonly string[], sizeBytes: number, chunkSizeBytes: number): AsyncGenerator<Buffer> {
  const [file, ...args] = command;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new SnapshotPointError(`could not start ${file}: ${error.message}`))));
  spawnFailed.catch(() => undefined);
  // The pipe's reads (64 KiB) are kept as they come and joined once a chunk is complete: one copy per byte.
  let parts: Buffer[] = [];
  let pendingBytes = 0;
  let delivered = 0;
  const nextLength = () => Math.min(chunkSizeBytes, sizeBytes - delivered);
  try {
    for await (const data of child.stdout) {
      parts.push(data as Buffer);
      pendingBytes += (data as Buffer).length;
      while (delivered < sizeBytes && pendingBytes >= nextLength()) {
        const length = nextLength();
        const joined = Buffer.concat(parts, pendingBytes);
        const rest = joined.subarray(length);
        parts = rest.length > 0 ? [Buffer.from(rest)] : [];
        pendingBytes = rest.length;
        delivered += length;
        yield joined.subarray(0, length);
      }
    }
    const code = await Promise.race([exited, spawnFailed]);
    if (code !== 0 || delivered !== sizeBytes || pendingBytes > 0) {
      throw new SnapshotPointError(`reading the snapshot view ended after ${delivered + pendingBytes} of ${sizeBytes} bytes (${file} exit ${code}): ${stderr.trim()}`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
