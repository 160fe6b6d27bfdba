/**
 * The agent's exclusive lock on one volume copy.
 *
 * QEMU's image locks do not stop a second process from writing a copy that a daemon exports
 * (qemu-7.2 §8), so the agent keeps its own lock: a `flock(LOCK_EX | LOCK_NB)` on `<copy>/lock`.
 *
 * Node has no `flock`, so the lock is taken by util-linux `flock -xn 3`, run with the agent's own
 * open file description passed as fd 3. A flock belongs to the open file description, not to
 * the process that asked for it: when the helper exits, the lock stays held through the agent's
 * descriptor, and it is released when the agent closes it or dies. So there is no stale lock
 * to detect: the kernel frees it with the holder. A second `open()` of the same file is a new
 * description and conflicts, even inside the same process. The file also holds the holder's
 * PID and start time, for the error message only.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { CommandFailedError, CopyLockedError } from '../errors';

/** Exit status `flock` is told to use when the lock is held elsewhere. */
const LOCK_BUSY_EXIT_CODE = 75;
const FLOCK_TIMEOUT_MS = 5_000;

export class CopyLock {
  private constructor(
    readonly path: string,
    private handle: fs.FileHandle | undefined,
  ) {}

  /** Takes the lock or throws {@link CopyLockedError} naming the current holder. */
  static async acquire(lockPath: string, copyId: string): Promise<CopyLock> {
    const handle = await fs.open(lockPath, 'a+', 0o600);
    try {
      const exitCode = await runFlock(handle.fd);
      if (exitCode === LOCK_BUSY_EXIT_CODE) {
        const holder = (await fs.readFile(lockPath, 'utf8')).trim() || 'unknown holder';
        throw new CopyLockedError(copyId, holder);
      }
      if (exitCode !== 0) {
        throw new CommandFailedError('flock', ['-xn', '3'], exitCode, null, `flock exited with ${exitCode}`);
      }
      await handle.truncate(0);
      await handle.write(`pid ${process.pid} on ${os.hostname()} since ${new Date().toISOString()}\n`, 0);
      return new CopyLock(lockPath, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get held(): boolean {
    return this.handle !== undefined;
  }

  /** Releases the lock (closes the descriptor). Idempotent. */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function runFlock(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(LOCK_BUSY_EXIT_CODE), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), FLOCK_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new CommandFailedError('flock', ['3'], null, null, error.message, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === null) {
        reject(new CommandFailedError('flock', ['3'], null, signal, stderr));
        return;
      }
      resolve(code);
    });
  });
}
