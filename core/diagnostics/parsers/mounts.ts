/** `/proc/mounts`: `device mountpoint fstype options 0 0`. */
export interface Mounts {
  readonly count: number;
  /** Disk filesystems (ext2/3/4, xfs, btrfs) mounted read-only, as `mountpoint (device)`. */
  readonly readOnlyDiskFilesystems: readonly string[];
}

const DISK_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs']);

export function parseMounts(text: string): Mounts {
  let count = 0;
  const readOnly: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    count += 1;
    const [device, mountpoint, fstype, options] = fields;
    if (DISK_FILESYSTEMS.has(fstype) && options.split(',').includes('ro')) readOnly.push(`${unescape(mountpoint)} (${device})`);
  }
  return { count, readOnlyDiskFilesystems: readOnly };
}

/** /proc/mounts escapes spaces and the like as octal (`\040`). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));
}
