/**
 * `/proc/self/mountinfo`, parsed by a pure function: which device is mounted where, and
 * whether read-only (mount or superblock options).
 */
import { promises as fs } from 'node:fs';

export interface MountEntry {
  /** `major:minor` of the mounted device. */
  device: string;
  mountPoint: string;
  fstype: string;
  source: string;
  readOnly: boolean;
  /** The per-mount options (`rw,noatime`), as mountinfo lists them. */
  options: string[];
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fstype, source, superOptions] = right.split(' ');
    const device = fields[2];
    const mountPoint = fields[4];
    const mountOptions = fields[5];
    if (!device || !mountPoint || !mountOptions || !fstype) continue;
    const readOnly = mountOptions.split(',').includes('ro') || (superOptions ?? '').split(',').includes('ro');
    entries.push({ device, mountPoint: unescapeOctal(mountPoint), fstype, source: unescapeOctal(source ?? ''), readOnly, options: mountOptions.split(',') });
  }
  return entries;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

/** The mount on exactly this path (the last one wins, as the kernel shows it). */
export function mountAt(mounts: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  return mounts.filter((entry) => entry.mountPoint === mountPoint).at(-1);
}

/** mountinfo writes space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`. */
function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
