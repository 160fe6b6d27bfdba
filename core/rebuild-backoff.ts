/**
 * How a degraded volume keeps working its way back to two copies: when a new mirror cannot be
 * placed (no other host, or none with capacity) or its build, endpoint or synchronisation fails,
 * the fail-over workflow waits and tries again: 5 s, doubled per attempt up to 60 s, with no last
 * attempt, so a host or capacity that appears any time later is used. One execution's history is
 * bounded (Step Functions keeps at most 25,000 events, about 12 per attempt), so after
 * `attemptsPerExecution` attempts the workflow hands the rebuild to a new execution of itself,
 * which goes on counting (statemachines/fail-over-volume.asl.json, "Continue rebuild in a new
 * execution").
 */
export const REBUILD_RETRY = { attemptsPerExecution: 500, initialDelaySeconds: 5, maxDelaySeconds: 60 } as const;

/** Seconds to wait after failed attempt `attempt` (1-based) before the next one. */
export function rebuildDelaySeconds(attempt: number): number {
  return Math.min(REBUILD_RETRY.maxDelaySeconds, REBUILD_RETRY.initialDelaySeconds * 2 ** Math.min(attempt - 1, 16));
}

/** Whether `attempt` is past what the execution that began at `firstAttempt` may run. */
export function continuesInNewExecution(attempt: number, firstAttempt: number, attemptsPerExecution: number = REBUILD_RETRY.attemptsPerExecution): boolean {
  return attempt - firstAttempt >= attemptsPerExecution;
}
