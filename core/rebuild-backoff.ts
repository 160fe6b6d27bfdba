/**
 * How a degraded volume keeps working its way back to two copies: when a new mirror cannot be
 * placed (no other host, or none with capacity) or its build, endpoint or synchronisation fails,
 * the fail-over workflow waits and tries again: 5 s, doubled per attempt up to 60 s, for at most
 * `maxAttempts` attempts (about 16 hours), so a host or capacity that appears later is used. Only
 * after the last attempt is the rebuild given up; the volume stays degraded with the reason.
 */
export const REBUILD_RETRY = { maxAttempts: 1000, initialDelaySeconds: 5, maxDelaySeconds: 60 } as const;

/** Seconds to wait after failed attempt `attempt` (1-based) before the next one. */
export function rebuildDelaySeconds(attempt: number): number {
  return Math.min(REBUILD_RETRY.maxDelaySeconds, REBUILD_RETRY.initialDelaySeconds * 2 ** Math.min(attempt - 1, 16));
}
