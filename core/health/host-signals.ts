import type { Host } from '../host';
import { healthFrom, type Health } from './health-level';

/** What one volume copy on a host says about the host (the volume-signal port, docs/health.md "Push and pull"). */
export interface CopySignal {
  readonly volumeId: string;
  readonly copyId: string;
  /** `replica-stale`: a mirror out of sync; `daemon-died`: the copy's storage daemon died; `recovering`: its volume is degraded (a copy lost, being rebuilt or failed over). */
  readonly kind: 'replica-stale' | 'daemon-died' | 'recovering';
}

/** The result of pulling a quiet host: its storage port answers or not; `skipped` when it was not quiet. */
/** `failed`: the probe itself could not run (the probe function in the hosts' VPC failed or was unreachable). */
export type ProbeResult = 'answered' | 'refused' | 'failed' | 'skipped';

export interface HostObservation {
  readonly host: Host;
  readonly now: Date;
  /** Silence after which a host is quiet (the control plane's heartbeat timeout). */
  readonly heartbeatTimeoutSeconds: number;
  readonly probe: ProbeResult;
  readonly copySignals: readonly CopySignal[];
}

/** A host is quiet once it has not heartbeated for the timeout: the evaluator then probes it. */
export function isQuiet(host: Pick<Host, 'lastHeartbeatAt'>, now: Date, heartbeatTimeoutSeconds: number): boolean {
  return now.getTime() - Date.parse(host.lastHeartbeatAt) > heartbeatTimeoutSeconds * 1000;
}

/**
 * A host's health from push (status, heartbeat age and health, disk health, copy signals) and
 * pull (the probe of a quiet host). The penalties are documented in docs/health.md.
 */
export function hostHealth(observation: HostObservation): Health {
  const { host, now, heartbeatTimeoutSeconds, probe, copySignals } = observation;
  const penalties: { points: number; reason: string }[] = [];
  const silentSeconds = Math.round((now.getTime() - Date.parse(host.lastHeartbeatAt)) / 1000);
  if (host.status === 'unreachable') penalties.push({ points: 100, reason: `host ${host.hostId} is unreachable (lost by the control plane)` });
  else if (isQuiet(host, now, heartbeatTimeoutSeconds)) {
    if (probe === 'answered') penalties.push({ points: 45, reason: `no heartbeat for ${silentSeconds} s, but its storage port answers a probe` });
    else if (probe === 'failed') penalties.push({ points: 100, reason: `no heartbeat for ${silentSeconds} s, and its storage port could not be probed` });
    else penalties.push({ points: 100, reason: `no heartbeat for ${silentSeconds} s and its storage port does not answer a probe` });
  }
  penalties.push(...diskPenalties(host));
  const counts = { 'replica-stale': 0, 'daemon-died': 0, recovering: 0 };
  for (const signal of copySignals) counts[signal.kind] += 1;
  if (counts['daemon-died'] > 0) penalties.push({ points: Math.min(60, 30 * counts['daemon-died']), reason: `${counts['daemon-died']} copy daemon(s) died` });
  if (counts['replica-stale'] > 0) penalties.push({ points: Math.min(30, 10 * counts['replica-stale']), reason: `${counts['replica-stale']} copy(ies) out of sync` });
  if (counts.recovering > 0) penalties.push({ points: Math.min(30, 10 * counts.recovering), reason: `${counts.recovering} volume(s) failing over` });
  return healthFrom(penalties);
}

/**
 * What the host's disks take off: the agent's own report (`degraded`/`failing`, which it derives
 * from its disks) or the reported disks' health, whichever takes more. They are one fact seen
 * twice, so a read-only disk makes its host yellow, not red (the disk itself is red).
 */
function diskPenalties(host: Pick<Host, 'health' | 'disks'>): { points: number; reason: string }[] {
  const reported = [
    ...(host.health === 'failing' ? [{ points: 70, reason: 'the agent reports the host failing' }] : []),
    ...(host.health === 'degraded' ? [{ points: 30, reason: 'the agent reports the host degraded' }] : []),
  ];
  const disks = (host.disks ?? []).flatMap((disk) => [
    ...(disk.health === 'failed' ? [{ points: 40, reason: `disk ${disk.deviceId} failed` }] : []),
    ...(disk.health === 'degraded' ? [{ points: 15, reason: `disk ${disk.deviceId} degraded` }] : []),
  ]);
  const sum = (list: readonly { points: number }[]) => list.reduce((total, penalty) => total + penalty.points, 0);
  return sum(disks) > sum(reported) ? disks : reported;
}

/** A disk's own health as its host last registered it. */
export function diskHealth(disk: { readonly deviceId: string; readonly health: string }, hostHealthNow: Health): Health {
  const penalties: { points: number; reason: string }[] = [];
  if (disk.health === 'failed') penalties.push({ points: 100, reason: `disk ${disk.deviceId} failed` });
  if (disk.health === 'degraded') penalties.push({ points: 30, reason: `disk ${disk.deviceId} degraded` });
  if (hostHealthNow.level === 'red') penalties.push({ points: 100, reason: 'its host is red' });
  return healthFrom(penalties);
}
