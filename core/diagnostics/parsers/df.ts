/**
 * `df -P -k` (blocks) or `df -P -i` (inodes): a header, then
 * `Filesystem 1024-blocks Used Available Capacity Mounted on` rows. Pseudo filesystems
 * (tmpfs, devtmpfs, overlay, squashfs) are left out: they are full by design or not disks.
 */
export interface DfRow {
  readonly filesystem: string;
  readonly usedPercent: number;
  readonly mountedOn: string;
}

export interface Df {
  readonly rows: readonly DfRow[];
  readonly maxUsedPercent?: number;
  readonly fullestMount?: string;
  /** `mount used%` of every row at 90 % or more. */
  readonly nearFull: readonly string[];
}

const PSEUDO = /^(tmpfs|devtmpfs|udev|overlay|squashfs|shm|none|efivarfs|cgroup2?)$/;

export function parseDf(text: string): Df {
  const rows: DfRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const match = /^(\S+)\s+\d+\s+\d+\s+\d+\s+(\d+)%\s+(\/\S*)\s*$/.exec(line);
    if (!match || PSEUDO.test(match[1])) continue;
    rows.push({ filesystem: match[1], usedPercent: Number(match[2]), mountedOn: match[3] });
  }
  const fullest = rows.reduce<DfRow | undefined>((best, row) => (!best || row.usedPercent > best.usedPercent ? row : best), undefined);
  return {
    rows,
    maxUsedPercent: fullest?.usedPercent,
    fullestMount: fullest?.mountedOn,
    nearFull: rows.filter((row) => row.usedPercent >= 90).map((row) => `${row.mountedOn} ${row.usedPercent}%`),
  };
}
