import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../agent/util/run-command';
import type { BridgeState } from '../bin/attach-bridge';
import { PreconditionError } from './errors';
import { say } from './session';

/**
 * The kernel side of attach and detach: the nbd module, the device node, nbd-client, and
 * whether a device is connected or in use (docs/attach.md).
 */
/** `nbd-client`'s path, or undefined (it lives in /usr/sbin, which a user's PATH may lack). */
export function findNbdClient(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  for (const dir of dirs) if (dir && existsSync(path.join(dir, 'nbd-client'))) return path.join(dir, 'nbd-client');
  return undefined;
}

/**
 * Fails loudly, before anything is created, unless this host can give us `device`: the nbd
 * kernel module (loaded now with modprobe if needed), the device node, and nbd-client.
 */
export async function assertKernelNbd(device: string): Promise<string> {
  if (process.getuid?.() !== 0) throw new PreconditionError('attach needs root (it loads the nbd module, writes /run/blockplane and drives /dev/nbd*)');
  if (!existsSync('/sys/module/nbd')) {
    say('the nbd kernel module is not loaded; trying modprobe nbd');
    try {
      await runCommand('modprobe', ['nbd'], { timeoutMs: 15_000 });
    } catch (error) {
      throw new PreconditionError(
        [
          '',
          '*** CANNOT ATTACH: this machine has no NBD kernel support. ***',
          `    /sys/module/nbd is missing and "modprobe nbd" failed: ${(error as Error).message.trim().split('\n').slice(-1)[0]}`,
          `    Without the nbd module there is no ${device} to connect. Nothing was created (no attachment, no bridge).`,
          '    Fix: install a kernel with CONFIG_BLK_DEV_NBD (e.g. the distribution\'s extra modules package) and re-run,',
          '    or use --bridge-only to get a local unix socket for userspace NBD clients (qemu-io, nbdinfo, nbdcopy, fio).',
          '',
        ].join('\n'),
      );
    }
  }
  if (!existsSync(device)) throw new PreconditionError(`*** CANNOT ATTACH: ${device} does not exist although the nbd module is loaded (nbds_max too small?) ***`);
  const nbdClient = findNbdClient();
  if (!nbdClient) throw new PreconditionError('*** CANNOT ATTACH: nbd-client is not installed (Debian: apt-get install nbd-client) ***');
  return nbdClient;
}

const deviceName = (device: string) => path.basename(device);

/** The kernel's view: a connected nbd device has /sys/block/nbdX/pid. */
export function deviceConnected(device: string): boolean {
  return existsSync(`/sys/block/${deviceName(device)}/pid`);
}

/** Mounted, or held by device-mapper/LVM/md: disconnecting it would pull a disk from under a user. */
export function deviceInUse(device: string): string | undefined {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[0]?.startsWith(device));
  if (mounts.length > 0) return `mounted: ${mounts.map((line) => line.split(' ').slice(0, 2).join(' on ')).join('; ')}`;
  const holders = `/sys/block/${deviceName(device)}/holders`;
  if (existsSync(holders) && readdirSync(holders).length > 0) return `held by ${readdirSync(holders).join(', ')}`;
  return undefined;
}

export async function connectDevice(nbdClient: string, bridge: BridgeState, device: string): Promise<void> {
  const args = ['-unix', bridge.socketPath, device, '-name', bridge.exportName];
  say(`connecting the kernel device: ${nbdClient} ${args.join(' ')}`);
  await runCommand(nbdClient, args, { timeoutMs: 30_000 });
  if (!deviceConnected(device)) throw new Error(`nbd-client returned but ${device} is not connected (no /sys/block/${deviceName(device)}/pid)`);
}

export async function disconnectDevice(nbdClient: string, device: string): Promise<void> {
  say(`disconnecting the kernel device: ${nbdClient} -d ${device}`);
  await runCommand(nbdClient, ['-d', device], { timeoutMs: 30_000 });
}
