/**
 * A real ext4 filesystem on a real loop device, for agent tests: sparse image file →
 * `losetup -f --show` → `mkfs.ext4` → mount under a fresh temp folder. `destroy()` undoes
 * exactly what `create()` did (unmount, detach this loop device, delete this temp folder).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from '../../../agent/util/run-command';

export class LoopFilesystem {
  private constructor(
    readonly root: string,
    readonly imagePath: string,
    readonly device: string,
    readonly mountPoint: string,
  ) {}

  static async create(sizeBytes = 1024 * 1024 * 1024): Promise<LoopFilesystem> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-agent-'));
    const imagePath = path.join(root, 'disk.img');
    const mountPoint = path.join(root, 'mnt');
    await fs.mkdir(mountPoint);
    const handle = await fs.open(imagePath, 'w');
    await handle.truncate(sizeBytes);
    await handle.close();
    let device: string | undefined;
    try {
      device = (await runCommand('losetup', ['-f', '--show', imagePath])).stdout.trim();
      await runCommand('mkfs.ext4', ['-q', '-F', device], { timeoutMs: 60_000 });
      await runCommand('mount', [device, mountPoint]);
    } catch (error) {
      if (device) await runCommand('losetup', ['-d', device]).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
      throw error;
    }
    return new LoopFilesystem(root, imagePath, device, mountPoint);
  }

  async destroy(): Promise<void> {
    await runCommand('umount', [this.mountPoint]);
    await runCommand('losetup', ['-d', this.device]);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
