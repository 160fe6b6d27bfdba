/**
 * The recovery's configurable times and limits (docs/recovery.md, "Policy"). The control plane
 * reads them from its environment (the CDK context `recovery*`); the local cloud shortens them.
 */
export interface RecoveryPolicy {
  /** How long a non-authoritative copy is kept (no I/O) before it is deleted. */
  readonly quarantineSeconds: number;
  /** How long an impaired volume waits for its owner before it is archived automatically. */
  readonly autoArchiveSeconds: number;
  /** How many hosts are answered at a time after a mass event; the others get 429 + Retry-After. */
  readonly hostBatch: number;
  /** How long an answered host keeps its place without sending its next page. */
  readonly slotSeconds: number;
  /** What a refused host is told to wait before it reports again. */
  readonly retryAfterSeconds: number;
}

export const DEFAULT_RECOVERY_POLICY: RecoveryPolicy = {
  quarantineSeconds: 24 * 3600,
  autoArchiveSeconds: 7 * 24 * 3600,
  hostBatch: 10,
  slotSeconds: 30,
  retryAfterSeconds: 5,
};

/** Each value must be a whole number in its range; the message names the value and the range. */
export function recoveryPolicyProblem(policy: RecoveryPolicy): string | undefined {
  const ranges: Record<keyof RecoveryPolicy, readonly [number, number]> = {
    quarantineSeconds: [1, 365 * 24 * 3600],
    autoArchiveSeconds: [1, 365 * 24 * 3600],
    hostBatch: [1, 10_000],
    slotSeconds: [1, 3600],
    retryAfterSeconds: [1, 3600],
  };
  for (const [name, [min, max]] of Object.entries(ranges) as [keyof RecoveryPolicy, readonly [number, number]][]) {
    const value = policy[name];
    if (!Number.isInteger(value) || value < min || value > max) return `${name} must be a whole number from ${min} to ${max}; received ${value}`;
  }
  return undefined;
}
