import { setTimeout as sleep } from 'node:timers/promises';
import { ok, type VolumeView } from '../client/blockplane-api';
import { FINAL_MODIFICATION_STATUSES, ModificationStatus } from '../core/modification';
import { VolumeStatus } from '../core/volume-status';
import { progressFor, type Progress } from './progress';
import type { Session } from './session';

/** Waiting for a volume or a modification to reach a state, with progress on stderr. */
const POLL_INTERVAL_MS = 2_000;
export const DEFAULT_WAIT_SECONDS = 600;

export const VOLUME_STATUSES: readonly string[] = Object.values(VolumeStatus);

/**
 * Polls the volume until it is `wanted`; fails when it reaches error/deleted instead, or on timeout.
 * A volume restored from a snapshot gets a progress bar of its copies' fill (rate, ETA); any other
 * a line per state change.
 */
export async function waitForVolume(session: Session, volumeId: string, wanted: string, timeoutSeconds = DEFAULT_WAIT_SECONDS): Promise<unknown> {
  let progress: Progress | undefined;
  const started = Date.now();
  try {
    for (;;) {
      const response = await session.http().request('GET', `/volumes/${volumeId}`);
      // A deleted volume may no longer be found at all: that is what waiting for `deleted` wants.
      if (response.status === 404 && wanted === 'deleted') {
        (progress ??= progressFor(volumeId, false)).update(undefined, 'gone (404): deleted');
        return { volumeId, status: 'deleted' };
      }
      const volume = ok<VolumeView>(response);
      progress ??= progressFor(volumeId, session.showProgress && volume.restoreProgressPercent !== undefined);
      // A volume restored from a snapshot says how far its copies' fill is while it is creating.
      const restoring = volume.status === 'creating' && volume.restoreProgressPercent !== undefined ? ` (restoring from ${volume.snapshotId}: ${volume.restoreProgressPercent}%)` : '';
      progress.update(volume.restoreProgressPercent, `${volume.status}${restoring}${volume.statusReason ? ` (${volume.statusReason})` : ''}`);
      if (volume.status === wanted) return volume;
      if (volume.status === 'error' || volume.status === 'deleted') {
        throw new Error(`${volumeId} reached ${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}, it will not become ${wanted}`);
      }
      if (Date.now() - started >= timeoutSeconds * 1000) throw new Error(`timed out after ${timeoutSeconds} s: ${volumeId} is ${volume.status}, not ${wanted}`);
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    progress?.stop();
  }
}

/** Anything with a status and a progressPercent that a GET answers: a modification, a snapshot. */
interface ProgressView {
  readonly status: string;
  readonly progressPercent: number;
  readonly statusReason?: string;
}

interface ProgressWait {
  readonly id: string;
  /** The GET that describes it. */
  readonly path: string;
  readonly finished: ReadonlySet<string>;
  readonly succeeded: string;
}

/** Polls with a progress bar (percent, rate, ETA) until it finishes; fails unless it succeeded. */
async function waitForProgress(session: Session, first: ProgressView, wait: ProgressWait, timeoutSeconds: number): Promise<unknown> {
  const progress = progressFor(wait.id, session.showProgress);
  const started = Date.now();
  let current = first;
  try {
    for (;;) {
      progress.update(current.progressPercent, current.status);
      if (wait.finished.has(current.status)) break;
      if (Date.now() - started >= timeoutSeconds * 1000) throw new Error(`timed out after ${timeoutSeconds} s: ${wait.id} is ${current.status}`);
      await sleep(POLL_INTERVAL_MS);
      current = ok<ProgressView>(await session.http().request('GET', wait.path));
    }
  } finally {
    progress.stop();
  }
  if (current.status !== wait.succeeded) throw new Error(`${wait.id} ${current.status}${current.statusReason ? `: ${current.statusReason}` : ''}`);
  return current;
}

const MODIFICATION_FINISHED = new Set<string>(FINAL_MODIFICATION_STATUSES);

export function waitForModification(session: Session, modification: ProgressView & { modificationId: string; volumeId: string }, timeoutSeconds = DEFAULT_WAIT_SECONDS): Promise<unknown> {
  const { modificationId, volumeId } = modification;
  return waitForProgress(session, modification, { id: modificationId, path: `/volumes/${volumeId}/modifications/${modificationId}`, finished: MODIFICATION_FINISHED, succeeded: ModificationStatus.completed }, timeoutSeconds);
}

/** A snapshot is done once it leaves pending: completed, or error with its reason. */
const SNAPSHOT_FINISHED = new Set(['completed', 'error']);

export function waitForSnapshot(session: Session, snapshot: ProgressView & { snapshotId: string }, timeoutSeconds = DEFAULT_WAIT_SECONDS): Promise<unknown> {
  return waitForProgress(session, snapshot, { id: snapshot.snapshotId, path: `/snapshots/${snapshot.snapshotId}`, finished: SNAPSHOT_FINISHED, succeeded: 'completed' }, timeoutSeconds);
}
