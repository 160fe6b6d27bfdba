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
  let pending: Buffer = Buffer.alloc(0);
  let delivered = 0;
  const nextLength = () => Math.min(chunkSizeBytes, sizeBytes - delivered);
  try {
    for await (const data of child.stdout) {
      pending = pending.length === 0 ? (data as Buffer) : Buffer.concat([pending, data as Buffer]);
      while (delivered < sizeBytes && pending.length >= nextLength()) {
        const length = nextLength();
        const chunk = Buffer.from(pending.subarray(0, length));
        pending = pending.subarray(length);
        delivered += length;
        yield chunk;
      }
    }
    const code = await Promise.race([exited, spawnFailed]);
    if (code !== 0 || delivered !== sizeBytes || pending.length > 0) {
      throw new SnapshotPointError(`reading the snapshot view ended after ${delivered + pending.length} of ${sizeBytes} bytes (${file} exit ${code}): ${stderr.trim()}`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
