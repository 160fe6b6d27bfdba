/**
 * The complete QEMU `ThrottleLimits` struct for a volume's throttle group.
 *
 * `qom-set /objects/<group> limits` MERGES with the previous settings: a field left out keeps
 * its old value (a previous `iops-size` or burst survives and can even make the new value
 * invalid, qemu-7.2 §3). So the agent always sends all 19 fields: every rate and burst (0 = off),
 * `iops-size`, and every `*-max-length` set to 1 (QEMU's default; a length above 1 without a
 * burst rate is refused).
 */
import { InvalidCopySpecError } from '../errors';
import { MAX_IOPS } from './volume-copy';

export interface ThrottlePolicy {
  /** Sustained IOPS (reads + writes); 0 = unlimited. */
  iopsTotal: number;
  /** Burst IOPS allowed for `iopsTotalBurstSeconds`; 0 = no burst beyond the default bucket. */
  iopsTotalBurst?: number;
  /** @default 1 */
  iopsTotalBurstSeconds?: number;
  /** Requests larger than this count as several operations; 0 = every request counts once. */
  iopsSizeBytes?: number;
}

export type ThrottleLimits = Record<(typeof THROTTLE_LIMIT_FIELDS)[number], number>;

export const THROTTLE_LIMIT_FIELDS = [
  'iops-total', 'iops-total-max', 'iops-total-max-length',
  'iops-read', 'iops-read-max', 'iops-read-max-length',
  'iops-write', 'iops-write-max', 'iops-write-max-length',
  'bps-total', 'bps-total-max', 'bps-total-max-length',
  'bps-read', 'bps-read-max', 'bps-read-max-length',
  'bps-write', 'bps-write-max', 'bps-write-max-length',
  'iops-size',
] as const;

/** Builds the full struct for a policy; every field is present. */
export function buildThrottleLimits(policy: ThrottlePolicy): ThrottleLimits {
  const burst = policy.iopsTotalBurst ?? 0;
  const burstSeconds = policy.iopsTotalBurstSeconds ?? 1;
  const iopsSize = policy.iopsSizeBytes ?? 0;
  assertRange('iopsTotal', policy.iopsTotal, 0, MAX_IOPS);
  assertRange('iopsTotalBurst', burst, 0, MAX_IOPS);
  assertRange('iopsTotalBurstSeconds', burstSeconds, 1, 3600);
  assertRange('iopsSizeBytes', iopsSize, 0, 64 * 1024 * 1024);
  if (burst > 0 && (policy.iopsTotal === 0 || burst < policy.iopsTotal)) {
    throw new InvalidCopySpecError('iopsTotalBurst', burst, `0, or at least iopsTotal (${policy.iopsTotal}) with iopsTotal > 0`);
  }
  if (burstSeconds > 1 && burst === 0) {
    throw new InvalidCopySpecError('iopsTotalBurstSeconds', burstSeconds, '1 unless iopsTotalBurst is set');
  }
  if (iopsSize > 0 && policy.iopsTotal === 0) {
    throw new InvalidCopySpecError('iopsSizeBytes', iopsSize, '0 unless iopsTotal is set');
  }
  const limits = Object.fromEntries(
    THROTTLE_LIMIT_FIELDS.map((field) => [field, field.endsWith('-max-length') ? 1 : 0]),
  ) as ThrottleLimits;
  limits['iops-total'] = policy.iopsTotal;
  limits['iops-total-max'] = burst;
  limits['iops-total-max-length'] = burstSeconds;
  limits['iops-size'] = iopsSize;
  return limits;
}

function assertRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidCopySpecError(field, value, `an integer from ${min} to ${max}`);
  }
}
