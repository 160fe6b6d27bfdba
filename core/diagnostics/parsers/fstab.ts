/** `/etc/fstab`: `spec file vfstype mntops freq passno`, comments and blank lines skipped. */
export interface FstabEntry {
  readonly spec: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

export interface Fstab {
  readonly entries: readonly FstabEntry[];
  /** Lines that are neither comments nor well-formed entries. */
  readonly malformedLines: readonly string[];
}

export function parseFstab(text: string): Fstab {
  const entries: FstabEntry[] = [];
  const malformedLines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields.length < 3 || fields.length > 6) {
      malformedLines.push(line);
      continue;
    }
    entries.push({ spec: fields[0], mountpoint: fields[1], fstype: fields[2], options: (fields[3] ?? 'defaults').split(',') });
  }
  return { entries, malformedLines };
}
