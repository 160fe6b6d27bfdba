import { HostStatus, type Host } from './host';

/**
 * What the silent-host sweep remembers between its passes, so that it judges a host's silence
 * against the control plane's own continuity, never against the wall clock alone.
 */
export interface SweepContinuity {
  /** When a sweep pass last ran. */
  readonly lastSweepAt: string;
  /**
   * Since when the control plane has been able to hear heartbeats without a break. A host's
   * silence counts only from here: after an outage every host gets a full timeout again.
   */
  readonly observedSince: string;
  /** The newest heartbeat any pass has seen, of any host. */
  readonly newestHeartbeatAt?: string;
  /** True while the last pass found the continuity broken: the break ends at the next pass that does not. */
  readonly inBreak?: boolean;
}

/** Why the sweep granted every host a fresh grace period instead of judging silences. */
export type ContinuityBreak = 'first-sweep' | 'sweep-gap' | 'no-heartbeat-got-through';

export interface LivenessJudgement {
  /** Active hosts silent for longer than the timeout since the control plane could last hear them. */
  readonly lost: readonly Host[];
  readonly continuity: SweepContinuity;
  /** Set when this pass found the control plane's own continuity broken. */
  readonly continuityBreak?: ContinuityBreak;
}

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : Date.parse(a) >= Date.parse(b) ? a : b;

/**
 * Judges one batch of hosts (issue 6, invariant 5: a control-plane outage never causes a mass
 * fail-over). The continuity is broken, and every host is granted a fresh timeout from `now`,
 * when
 * - no pass ran for longer than the timeout (the sweep, or the control plane under it, was
 *   down, so nobody was recording heartbeats either), or
 * - no heartbeat of any host got through for longer than the timeout (the API or the hosts'
 *   path to it was down: a whole fleet does not die at once, the ingress did).
 * Otherwise a host is lost when it is silent for longer than the timeout, counted from the later
 * of its last heartbeat and the end of the last break, and the control plane heard another host
 * a full timeout after that: silence is evidence only while others are heard. (When the whole
 * fleet goes quiet at once, the hosts that beat first would otherwise be judged lost in the
 * moments before the fleet's silence reaches the timeout and counts as a break.) A break ends at the first pass that finds
 * the continuity whole again, which is after the first heartbeat got through: every host gets a
 * full timeout from then, however long before it the last pass that saw the break ran.
 */
export function judgeLiveness(
  hosts: readonly Host[],
  now: Date,
  timeoutSeconds: number,
  previous: SweepContinuity | undefined,
): LivenessJudgement {
  const timeoutMs = timeoutSeconds * 1000;
  const at = now.toISOString();
  const active = hosts.filter((host) => host.status === HostStatus.active);
  const newestHeartbeatAt = active.reduce<string | undefined>((newest, host) => later(newest, host.lastHeartbeatAt), previous?.newestHeartbeatAt);
  const continuityBreak: ContinuityBreak | undefined = !previous
    ? 'first-sweep'
    : now.getTime() - Date.parse(previous.lastSweepAt) > timeoutMs
      ? 'sweep-gap'
      : newestHeartbeatAt !== undefined && now.getTime() - Date.parse(newestHeartbeatAt) > timeoutMs
        ? 'no-heartbeat-got-through'
        : undefined;
  const observedSince = continuityBreak || !previous || previous.inBreak ? at : previous.observedSince;
  const continuity: SweepContinuity = { lastSweepAt: at, observedSince, newestHeartbeatAt, ...(continuityBreak ? { inBreak: true } : {}) };
  if (continuityBreak) return { lost: [], continuity, continuityBreak };
  const heardUntil = newestHeartbeatAt === undefined ? 0 : Date.parse(newestHeartbeatAt);
  const lost = active.filter((host) => {
    const silentSince = Date.parse(later(host.lastHeartbeatAt, observedSince) ?? at);
    return now.getTime() - silentSince > timeoutMs && heardUntil - silentSince >= timeoutMs;
  });
  return { lost, continuity };
}
