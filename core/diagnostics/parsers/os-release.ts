/** `/etc/os-release`: `KEY=value` lines, values optionally quoted. */
export interface OsRelease {
  readonly id?: string;
  readonly versionId?: string;
  readonly prettyName?: string;
}

export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1], match[2].replace(/^(["'])(.*)\1$/, '$2'));
  }
  return { id: values.get('ID'), versionId: values.get('VERSION_ID'), prettyName: values.get('PRETTY_NAME') };
}
