/**
 * The digests this snapshot has already uploaded, one per line, appended after each PUT
 * succeeds: an agent restarted mid-upload reads it and sends none of them again. A torn last
 * line (a crash mid-append) is ignored: that chunk is simply sent again.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const DIGEST = /^[0-9a-f]{64}$/;

export class UploadJournal {
  private constructor(
    readonly file: string,
    readonly uploaded: Set<string>,
  ) {}

  static async open(file: string): Promise<UploadJournal> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    return new UploadJournal(file, new Set(text.split('\n').filter((line) => DIGEST.test(line))));
  }

  async record(digest: string): Promise<void> {
    await fs.appendFile(this.file, `${digest}\n`);
    this.uploaded.add(digest);
  }

  async remove(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}
