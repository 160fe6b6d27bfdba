/** `sysctl -a`: `name = value` lines. */
export function parseSysctl(text: string): ReadonlyMap<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([a-z0-9_.\-/]+)\s*=\s*(.*)$/i.exec(line.trim());
    if (match) values.set(match[1], match[2].trim());
  }
  return values;
}
