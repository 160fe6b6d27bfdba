/**
 * What `lsblk --json` says about a block device, parsed by a pure function (tested on
 * captured output), plus the run of `lsblk` and `blkid -p` for one device.
 *
 * util-linux differs across versions: `rota` is a boolean (2.33+) or "0"/"1", `size` with
 * `--bytes` is a number or a numeric string, `serial` may carry padding. On EC2 an EBS volume is
 * an NVMe device whose serial is the volume id without its dash (`vol0123456789abcdef0`).
 */
import { CommandFailedError, DevicePreparationError } from '../errors';
import { runCommand } from '../util/run-command';

export interface BlockDeviceInfo {
  /** Kernel name (`nvme1n1`, `loop7`). */
  name: string;
  /** `/dev/<name>`. */
  path: string;
  /** Filesystem type as udev last saw it; may be stale (use {@link probeFilesystem} to decide). */
  fstype: string | undefined;
  serial: string | undefined;
  rotational: boolean;
  sizeBytes: number;
  /** `disk`, `loop`, `part`, … */
  kind: string | undefined;
  /** `major:minor`, as /proc/self/mountinfo names the device of a mount. */
  majMin: string | undefined;
}

export const LSBLK_COLUMNS = 'NAME,PATH,FSTYPE,SERIAL,ROTA,SIZE,TYPE,MAJ:MIN';

/** Parses `lsblk --json --bytes -o NAME,PATH,FSTYPE,SERIAL,ROTA,SIZE,TYPE,MAJ:MIN` (children ignored). */
export function parseLsblkJson(text: string): BlockDeviceInfo[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DevicePreparationError('(lsblk)', 'lsblk did not print JSON', { cause: error });
  }
  const devices = (json as { blockdevices?: unknown }).blockdevices;
  if (!Array.isArray(devices)) throw new DevicePreparationError('(lsblk)', 'lsblk JSON has no "blockdevices" array');
  return devices.map((entry: Record<string, unknown>) => {
    const name = stringOrUndefined(entry.name);
    if (!name) throw new DevicePreparationError('(lsblk)', `an lsblk entry has no name: ${JSON.stringify(entry).slice(0, 200)}`);
    return {
      name,
      path: stringOrUndefined(entry.path) ?? `/dev/${name}`,
      fstype: stringOrUndefined(entry.fstype),
      serial: stringOrUndefined(entry.serial),
      rotational: parseFlag(entry.rota),
      sizeBytes: parseSize(entry.size),
      kind: stringOrUndefined(entry.type),
      majMin: stringOrUndefined(entry['maj:min']),
    };
  });
}

/**
 * The id the control plane knows a disk by: the EBS volume id (`vol-…`) for an EBS NVMe
 * device, another serial as it is, else `<hostId>-<kernel name>`.
 */
export function deviceIdOf(info: Pick<BlockDeviceInfo, 'name' | 'serial'>, hostId: string): string {
  const serial = info.serial?.trim();
  const ebs = serial?.match(/^vol-?([0-9a-f]{8,17})$/);
  if (ebs) return `vol-${ebs[1]}`;
  if (serial) return serial.slice(0, 128);
  return `${hostId}-${info.name}`.slice(0, 128);
}

export async function describeBlockDevice(devicePath: string): Promise<BlockDeviceInfo> {
  let stdout: string;
  try {
    ({ stdout } = await runCommand('lsblk', ['--json', '--bytes', '--nodeps', '-o', LSBLK_COLUMNS, devicePath], { timeoutMs: 10_000 }));
  } catch (error) {
    throw new DevicePreparationError(devicePath, `lsblk cannot describe it: ${(error as Error).message}`, { cause: error });
  }
  const [info] = parseLsblkJson(stdout);
  if (!info) throw new DevicePreparationError(devicePath, 'lsblk listed no device');
  return info;
}

export interface FilesystemProbe {
  /** Filesystem type (`TYPE`), when the device holds one. */
  type?: string;
  /** Partition table type (`PTTYPE`), when the device is partitioned. */
  partitionTable?: string;
  uuid?: string;
}

/** Parses `blkid -p -o export` output (KEY=value lines). */
export function parseBlkidExport(text: string): FilesystemProbe {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return {
    ...(values.get('TYPE') ? { type: values.get('TYPE') } : {}),
    ...(values.get('PTTYPE') ? { partitionTable: values.get('PTTYPE') } : {}),
    ...(values.get('UUID') ? { uuid: values.get('UUID') } : {}),
  };
}

/** Exit status of `blkid -p` when it found nothing on the device. */
const BLKID_NOTHING_FOUND = 2;

/**
 * Probes the device itself (`blkid -p`, no cache): lsblk's FSTYPE comes from udev, which
 * may not have seen the device (a container without udev, a loop device just attached), and
 * a wrong "empty" here would format a disk holding copies.
 */
export async function probeFilesystem(devicePath: string): Promise<FilesystemProbe> {
  try {
    return parseBlkidExport((await runCommand('blkid', ['-p', '-o', 'export', devicePath], { timeoutMs: 30_000 })).stdout);
  } catch (error) {
    if (error instanceof CommandFailedError && error.exitCode === BLKID_NOTHING_FOUND) return {};
    throw new DevicePreparationError(devicePath, `blkid cannot probe it: ${(error as Error).message}`, { cause: error });
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function parseFlag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.trim() === '1' || value.trim().toLowerCase() === 'true';
  return false;
}

function parseSize(value: unknown): number {
  const size = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new DevicePreparationError('(lsblk)', `lsblk size ${JSON.stringify(value)} is not a byte count (run lsblk with --bytes)`);
  }
  return size;
}
