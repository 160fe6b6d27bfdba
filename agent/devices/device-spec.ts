/**
 * A `--device PATH[:ssd|hdd[:IOPS]]` flag: the block device, and optionally its storage type
 * and IOPS capacity (otherwise taken from the kernel's `ROTA` flag and the type's default).
 */
import { AgentOptionsError } from '../errors';

export const DiskType = { Ssd: 'ssd', Hdd: 'hdd' } as const;
export type DiskType = (typeof DiskType)[keyof typeof DiskType];

/** IOPS a disk offers when the flag does not say: a gp3-class SSD and an st1-class HDD. */
export const DEFAULT_IOPS_CAPACITY: Record<DiskType, number> = { ssd: 16_000, hdd: 500 };
const MAX_IOPS_CAPACITY = 10_000_000;

export interface DeviceSpec {
  /** The device path as given (`/dev/nvme1n1`, `/dev/loop7`, a `/dev/disk/by-id/…` link). */
  path: string;
  /** From the flag; undefined = decided from the device's rotational flag. */
  type?: DiskType;
  /** From the flag; undefined = {@link DEFAULT_IOPS_CAPACITY} of the type. */
  iopsCapacity?: number;
}

export function parseDeviceSpec(value: string): DeviceSpec {
  const [devicePath, type, iops, ...rest] = value.split(':');
  const flag = `--device ${JSON.stringify(value)}`;
  if (rest.length > 0) throw new AgentOptionsError(flag, 'allowed PATH[:ssd|hdd[:IOPS]]');
  if (!devicePath || !devicePath.startsWith('/dev/')) throw new AgentOptionsError(flag, `received path ${JSON.stringify(devicePath)}, allowed a path under /dev/`);
  const spec: DeviceSpec = { path: devicePath };
  if (type !== undefined && type !== '') {
    if (type !== DiskType.Ssd && type !== DiskType.Hdd) throw new AgentOptionsError(flag, `received type ${JSON.stringify(type)}, allowed ssd | hdd`);
    spec.type = type;
  }
  if (iops !== undefined) {
    const parsed = Number(iops);
    if (!/^\d+$/.test(iops) || parsed < 1 || parsed > MAX_IOPS_CAPACITY) {
      throw new AgentOptionsError(flag, `received IOPS ${JSON.stringify(iops)}, allowed an integer from 1 to ${MAX_IOPS_CAPACITY}`);
    }
    if (spec.type === undefined) throw new AgentOptionsError(flag, 'an IOPS capacity needs the type before it (PATH:ssd:IOPS)');
    spec.iopsCapacity = parsed;
  }
  return spec;
}
