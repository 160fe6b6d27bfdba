/** Compares dotted numeric versions (`5.10.0` vs `5.9`): negative, zero or positive. Non-numeric suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => (/^\d+(\.\d+)*/.exec(version)?.[0] ?? '0').split('.').map(Number);
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
