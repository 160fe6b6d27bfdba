import type { FailoverWorkflows, HostCommandQueue, HostRepository, HostSweepStore, TaskCallbacks, VolumeRepository } from '../ports';
import { HostStatus } from '../host';
import { judgeLiveness, type ContinuityBreak } from '../sweep-continuity';
import { failStalledCommands } from './fail-stalled-commands';

export interface SweepSilentHostsDeps {
  readonly sweep: HostSweepStore;
  readonly hosts: HostRepository;
  readonly volumes: VolumeRepository;
  readonly failovers: FailoverWorkflows;
  readonly commands: HostCommandQueue;
  readonly callbacks: TaskCallbacks;
  readonly now: () => Date;
  readonly heartbeatTimeoutSeconds: number;
  /** A waiting host task with no progress for this long has stalled (failStalledCommands). */
  readonly commandTimeoutSeconds: number;
}

/** Hosts judged per batch: one batch is a few reads and writes, far inside one invocation. */
export const SWEEP_BATCH_SIZE = 25;

export interface SweepBatchOutcome {
  readonly lostHostIds: readonly string[];
  /** Commands whose waiting task was failed because their host stopped reporting progress. */
  readonly stalledCommandIds: readonly string[];
  readonly continuityBreak?: ContinuityBreak;
  /** True when this batch was the fleet's last; the next batch starts from the beginning again. */
  readonly passComplete: boolean;
}

/**
 * One bounded batch of the scheduled silent-host sweep. It starts where the last batch stopped
 * (the cursor is stored after each batch, so a sweep that is cut off resumes there), judges the
 * batch's hosts against the control plane's own continuity (sweep-continuity.ts), and for each
 * silent host starts a fail-over of every copy it held, then marks it unreachable. The fail-overs
 * come first so that a sweep cut off between the two redoes both (each fail-over is keyed by the
 * loss judgement, so doing it twice starts it once); marking is conditional on the heartbeat the
 * judgement saw, so of several racing sweeps one marks it. It also fails the workflow tasks of
 * the batch's hosts whose commands stopped making progress (progress, not a clock).
 */
export async function sweepSilentHostsBatch(deps: SweepSilentHostsDeps, batchSize = SWEEP_BATCH_SIZE): Promise<SweepBatchOutcome> {
  const state = await deps.sweep.load();
  const page = await deps.sweep.listHosts(state.cursor, batchSize);
  const judgement = judgeLiveness(page.hosts, deps.now(), deps.heartbeatTimeoutSeconds, state.continuity);
  const lostHostIds: string[] = [];
  for (const host of judgement.lost) {
    for (const reservation of await deps.hosts.reservationsOf(host.hostId)) {
      const volume = await deps.volumes.get(reservation.volumeId);
      if (!volume?.copies.some((copy) => copy.copyId === reservation.copyId)) continue;
      await deps.failovers.startFailover(
        reservation.volumeId,
        reservation.copyId,
        `host ${host.hostId} stopped heartbeating (last at ${host.lastHeartbeatAt})`,
        volume.version,
      );
    }
    if (await deps.hosts.markUnreachable(host.hostId, host.lastHeartbeatAt)) lostHostIds.push(host.hostId);
  }
  const stalledCommandIds: string[] = [];
  // Judged lost in this pass: unreachable even when another sweep's mark won the race.
  const unreachable = new Set(judgement.lost.map((host) => host.hostId));
  for (const host of page.hosts) {
    const status = unreachable.has(host.hostId) ? HostStatus.unreachable : host.status;
    stalledCommandIds.push(...(await failStalledCommands(deps, { hostId: host.hostId, status })));
  }
  await deps.sweep.save({ continuity: judgement.continuity, cursor: page.nextCursor });
  return { lostHostIds, stalledCommandIds, continuityBreak: judgement.continuityBreak, passComplete: page.nextCursor === undefined };
}

export interface SweepRun {
  /** How long one scheduled invocation keeps sweeping (a little longer than the schedule's period, so runs overlap). */
  readonly runSeconds: number;
  /** Pause between two passes over the fleet. */
  readonly intervalSeconds: number;
}

export interface SweepRunOutcome {
  readonly passes: number;
  readonly batches: number;
  readonly lostHostIds: readonly string[];
  readonly stalledCommandIds: readonly string[];
  readonly continuityBreaks: readonly ContinuityBreak[];
}

/**
 * What one scheduled invocation does: passes over the fleet, batch by batch, one pass every
 * `intervalSeconds`, until `runSeconds` are used up. It never starts a batch it could not finish
 * before the end of its run; a run that is cut off anyway leaves the cursor at its last batch.
 */
export async function runSilentHostSweep(
  deps: SweepSilentHostsDeps & { readonly sleep: (ms: number) => Promise<void> },
  run: SweepRun,
  batchSize = SWEEP_BATCH_SIZE,
): Promise<SweepRunOutcome> {
  const endsAt = deps.now().getTime() + run.runSeconds * 1000;
  const lostHostIds: string[] = [];
  const stalledCommandIds: string[] = [];
  const continuityBreaks: ContinuityBreak[] = [];
  let passes = 0;
  let batches = 0;
  while (deps.now().getTime() < endsAt) {
    const passStartedAt = deps.now().getTime();
    for (;;) {
      const outcome = await sweepSilentHostsBatch(deps, batchSize);
      batches += 1;
      lostHostIds.push(...outcome.lostHostIds);
      stalledCommandIds.push(...outcome.stalledCommandIds);
      if (outcome.continuityBreak) continuityBreaks.push(outcome.continuityBreak);
      if (outcome.passComplete || deps.now().getTime() >= endsAt) break;
    }
    passes += 1;
    const nextPassAt = passStartedAt + run.intervalSeconds * 1000;
    if (nextPassAt >= endsAt) break;
    await deps.sleep(Math.max(0, nextPassAt - deps.now().getTime()));
  }
  return { passes, batches, lostHostIds, stalledCommandIds, continuityBreaks };
}
