/**
 * Bounds every JSON body must keep, whatever its route's schema says about its fields: no valid
 * request comes close to them, and anything past them cannot be stored (DynamoDB nests maps and
 * lists at most 32 deep and holds numbers of magnitude 1e-130 to 1e126 with 38 digits).
 */
export const MAX_JSON_DEPTH = 16;
const MAX_NUMBER_MAGNITUDE = 1e125;
const MIN_NUMBER_MAGNITUDE = 1e-129;

/** Why `value` breaks a bound (with the path where it does), or undefined when it keeps them all. */
export function jsonBoundsProblem(value: unknown, path = '', depth = 0): string | undefined {
  const where = path === '' ? 'the body' : path;
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    if (magnitude > MAX_NUMBER_MAGNITUDE || (magnitude !== 0 && magnitude < MIN_NUMBER_MAGNITUDE)) {
      return `${where} is a number of magnitude ${magnitude}; numbers must be 0 or between ${MIN_NUMBER_MAGNITUDE} and ${MAX_NUMBER_MAGNITUDE}`;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) return `${where} nests objects and arrays more than ${MAX_JSON_DEPTH} deep`;
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    if (!Array.isArray(value) && key === '') return `${where} has an empty property name`;
    const problem = jsonBoundsProblem(item, path === '' ? key : `${path}.${key}`, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
