/**
 * What the assertion controller observes on the host itself: the options every managed disk is
 * mounted with (mountinfo), the agent's version and qemu-storage-daemon's version.
 */
import type { ObservedComponent } from '../../core/audit/assert-components';
import type { ManagedDisk } from '../devices/managed-disk';
import { mountAt, readMounts } from '../devices/mountinfo';
import { runCommand } from '../util/run-command';
import { AGENT_VERSION } from '../version';

/** `7.2.22` from `qemu-storage-daemon version 7.2.22 (Debian …)`; the whole first line when it has no such number. */
export function qemuVersionOf(versionText: string): string {
  const firstLine = versionText.split('\n')[0] ?? '';
  return /version (\d+\.\d+\.\d+)/.exec(firstLine)?.[1] ?? firstLine.trim();
}

/**
 * The mount options every disk shares (an option missing on one disk is missing for the host),
 * so `includes rw, noatime` fails when any disk lacks one; a disk not mounted counts as none.
 */
export function sharedMountOptions(perDisk: readonly (readonly string[])[]): string[] {
  if (perDisk.length === 0) return [];
  return perDisk[0].filter((option) => perDisk.every((options) => options.includes(option)));
}

export class HostObserver {
  private qemuVersion: Promise<string> | undefined;

  constructor(
    private readonly hostId: string,
    private readonly disks: () => readonly ManagedDisk[],
    private readonly qsdBinary = 'qemu-storage-daemon',
  ) {}

  async observe(): Promise<ObservedComponent> {
    const mounts = await readMounts();
    const perDisk = this.disks()
      .filter((disk) => disk.mountPoint !== undefined)
      .map((disk) => mountAt(mounts, disk.mountPoint as string)?.options ?? []);
    // The binary does not change under a running agent: asked once.
    this.qemuVersion ??= runCommand(this.qsdBinary, ['--version'], { timeoutMs: 5_000 }).then(({ stdout }) => qemuVersionOf(stdout));
    return {
      componentId: this.hostId,
      componentType: 'storage-host',
      observed: {
        'host.disks.mount-options': sharedMountOptions(perDisk),
        'host.agent.version': AGENT_VERSION,
        'host.qemu.version': await this.qemuVersion,
      },
    };
  }
}
