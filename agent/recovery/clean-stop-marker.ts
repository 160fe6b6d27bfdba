/**
 * The clean-stop marker (`<data-dir>/clean-stop`, docs/recovery.md): written by a clean stop once
 * every daemon quit and every copy was flushed, consumed at the next start. A start without it,
 * on a host that holds copies, found an unclean shutdown (a crash, a power loss, a kill): the
 * copies enter recovery instead of being offered back as they are.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';

export const CLEAN_STOP_FILE = 'clean-stop';

export class CleanStopMarker {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = path.join(dataDir, CLEAN_STOP_FILE);
  }

  /** True when the last stop was clean; the marker is removed, so a crash from now on is noticed. */
  async consume(): Promise<boolean> {
    try {
      await fs.unlink(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Records a clean stop (durably: temp file, fsync, rename, directory fsync). */
  async write(at: Date): Promise<void> {
    await writeFileAtomic(this.path, `${at.toISOString()}\n`, { mode: 0o600 });
  }
}
