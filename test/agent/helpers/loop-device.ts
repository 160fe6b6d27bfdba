/**
 * A real loop device over a sparse image, with NO filesystem: what a fresh EBS volume looks
 * like to the agent. `destroy()` undoes exactly what was made for it: unmounts every mount of
 * this device (the agent under test mounted it), detaches this loop device, deletes this folder.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readMounts } from '../../../agent/devices/mountinfo';
import { runCommand } from '../../../agent/util/run-command';

export class LoopDevice {
  private constructor(
    readonly root: string,
    readonly imagePath: string,
    readonly device: string,
    readonly majMin: string,
  ) {}

  static async create(sizeBytes = 1024 ** 3): Promise<LoopDevice> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-loop-'));
    const imagePath = path.join(root, 'disk.img');
    const handle = await fs.open(imagePath, 'w');
    await handle.truncate(sizeBytes);
    await handle.close();
    let device: string | undefined;
    try {
      device = (await runCommand('losetup', ['-f', '--show', imagePath])).stdout.trim();
      const majMin = (await runCommand('lsblk', ['-dno', 'MAJ:MIN', device])).stdout.trim();
      return new LoopDevice(root, imagePath, device, majMin);
    } catch (error) {
      if (device) await runCommand('losetup', ['-d', device]).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
      throw error;
    }
  }

  /** Mount points of this device right now. */
  async mountPoints(): Promise<string[]> {
    return (await readMounts()).filter((mount) => mount.device === this.majMin).map((mount) => mount.mountPoint);
  }

  async destroy(): Promise<void> {
    for (const mountPoint of (await this.mountPoints()).reverse()) await runCommand('umount', [mountPoint]);
    await runCommand('losetup', ['-d', this.device]);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
