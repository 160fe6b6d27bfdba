/**
 * The block devices and their filesystem UUIDs: `lsblk.json` (`lsblk --json`) and `blkid.txt`
 * (`blkid -o export`; offline `blkid -p`, which probes the device itself, since lsblk reads
 * the UUID from udev, which may not know a freshly attached device). On a live machine, every
 * device; offline, only the device the root is mounted from (found with `findmnt`), so the
 * report says which UUID the instance's root filesystem has without describing the recovery
 * machine's own disks.
 */
import { DiagnosticCommandError, runCapped } from './capped-command';
import { CollectContext, Collector, SourceAbsentError } from './collector';

const COLUMNS = 'NAME,TYPE,SIZE,MOUNTPOINT,FSTYPE,UUID,RO';

const capped = (context: CollectContext) => ({ maxBytes: context.maxBytes, keep: 'head' as const, signal: context.signal });

/** Offline: the device mounted at the root (not the one holding a folder the root is in). */
async function rootDevice(context: CollectContext): Promise<string> {
  let found;
  try {
    found = await runCapped('findmnt', ['-n', '-o', 'SOURCE', '--mountpoint', context.root.root], capped(context));
  } catch (error) {
    // findmnt exits 1 when nothing is mounted there (a copied tree): the device would be this machine's.
    if (error instanceof DiagnosticCommandError) throw new SourceAbsentError(`the root ${context.root.root} is not a mount point`);
    throw error;
  }
  const source = found.stdout.toString('utf8').trim().split('\n')[0];
  if (!source?.startsWith('/dev/')) throw new SourceAbsentError(`the root ${context.root.root} is not mounted from a block device (${source || 'no source'})`);
  return source;
}

export const lsblkCollector: Collector = {
  name: 'lsblk',
  async collect(context) {
    const devices = context.source === 'offline' ? [await rootDevice(context)] : [];
    const output = await runCapped('lsblk', ['--json', '-b', '-o', COLUMNS, ...devices], capped(context));
    return [{ name: 'lsblk.json', content: output.stdout, truncated: output.truncated }];
  },
};

export const blkidCollector: Collector = {
  name: 'blkid',
  async collect(context) {
    const args = context.source === 'offline' ? ['-p', '-o', 'export', await rootDevice(context)] : ['-o', 'export'];
    const output = await runCapped('blkid', args, capped(context));
    return [{ name: 'blkid.txt', content: output.stdout, truncated: output.truncated }];
  },
};
