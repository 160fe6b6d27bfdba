/** `lsmod`: `Module Size Used by` then one row per module. */
export function parseLsmod(text: string): readonly string[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => /^([A-Za-z0-9_]+)\s+\d+\s+\d+/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
