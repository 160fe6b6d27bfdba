/**
 * Bounds on free-form JSON a host sends (a command's `result`), so that whatever passes can be
 * stored in DynamoDB and handed to Step Functions: nesting, keys, strings and numbers that
 * DynamoDB refuses would otherwise surface as a 500.
 */
export const JSON_LIMITS = {
  /** Levels of objects/arrays, the outermost one counted. */
  maxDepth: 6,
  maxKeyLength: 128,
  maxStringLength: 4096,
  maxEntries: 256,
  /** DynamoDB numbers: magnitude from 1e-130 to below 1e126. */
  maxMagnitude: 1e125,
  minMagnitude: 1e-129,
} as const;

/** Why `value` (at nesting `depth`) breaks the bounds, or undefined. */
export function boundedJsonProblem(value: unknown, depth: number, path = 'result'): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string') return value.length > JSON_LIMITS.maxStringLength ? `${path} is longer than ${JSON_LIMITS.maxStringLength} characters` : undefined;
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    if (!Number.isFinite(value) || magnitude >= JSON_LIMITS.maxMagnitude || (magnitude !== 0 && magnitude < JSON_LIMITS.minMagnitude)) {
      return `${path} is a number outside ±${JSON_LIMITS.minMagnitude}..${JSON_LIMITS.maxMagnitude}`;
    }
    return undefined;
  }
  if (typeof value !== 'object') return `${path} is not JSON`;
  if (depth > JSON_LIMITS.maxDepth) return `${path} is nested deeper than ${JSON_LIMITS.maxDepth} levels`;
  const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value);
  if (entries.length > JSON_LIMITS.maxEntries) return `${path} has more than ${JSON_LIMITS.maxEntries} entries`;
  for (const [key, item] of entries) {
    if (!Array.isArray(value) && (key.length === 0 || key.length > JSON_LIMITS.maxKeyLength)) return `${path} has a key that is empty or longer than ${JSON_LIMITS.maxKeyLength} characters`;
    const problem = boundedJsonProblem(item, depth + 1, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}
