import { ok, type VolumeView } from '../client/blockplane-api';
import { FINAL_MODIFICATION_STATUSES, ModificationStatus } from '../core/modification';
import { VolumeStatus } from '../core/volume-status';
import { progressFor } from './progress';
import type { Session } from './session';

/** Waiting for a volume or a modification to reach a state, with progress on stderr. */
const POLL_INTERVAL_MS = 2_000;
export const DEFAULT_WAIT_SECONDS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const VOLUME_STATUSES: readonly string[] = Object.values(VolumeStatus);

/** Polls the volume until it is `wanted`; fails when it reaches error/deleted instead, or on timeout. */
export async function waitForVolume(session: Session, volumeId: string, wanted: string, timeoutSeconds = DEFAULT_WAIT_SECONDS): Promise<unknown> {
  const progress = progressFor(volumeId, false);
  const started = Date.now();
  for (;;) {
    const response = await session.http().request('GET', `/volumes/${volumeId}`);
    // A deleted volume may no longer be found at all: that is what waiting for `deleted` wants.
    if (response.status === 404 && wanted === 'deleted') {
      progress.update(undefined, 'gone (404): deleted');
      return { volumeId, status: 'deleted' };
    }
    const volume = ok<VolumeView>(response);
    progress.update(undefined, `${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}`);
    if (volume.status === wanted) return volume;
    if (volume.status === 'error' || volume.status === 'deleted') {
      throw new Error(`${volumeId} reached ${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}, it will not become ${wanted}`);
    }
    if (Date.now() - started >= timeoutSeconds * 1000) throw new Error(`timed out after ${timeoutSeconds} s: ${volumeId} is ${volume.status}, not ${wanted}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

interface ModificationView {
  readonly modificationId: string;
  readonly volumeId: string;
  readonly status: string;
  readonly progressPercent: number;
  readonly statusReason?: string;
}

const FINISHED = new Set<string>(FINAL_MODIFICATION_STATUSES);

/** Polls the modification with a progress bar (percent, rate, ETA) until it finishes; fails unless it completed. */
export async function waitForModification(session: Session, modification: ModificationView, timeoutSeconds = DEFAULT_WAIT_SECONDS): Promise<unknown> {
  const progress = progressFor(modification.modificationId, session.showProgress);
  const started = Date.now();
  let current = modification;
  try {
    for (;;) {
      progress.update(current.progressPercent, current.status);
      if (FINISHED.has(current.status)) break;
      if (Date.now() - started >= timeoutSeconds * 1000) throw new Error(`timed out after ${timeoutSeconds} s: ${current.modificationId} is ${current.status}`);
      await sleep(POLL_INTERVAL_MS);
      current = ok<ModificationView>(await session.http().request('GET', `/volumes/${current.volumeId}/modifications/${current.modificationId}`));
    }
  } finally {
    progress.stop();
  }
  if (current.status !== ModificationStatus.completed) throw new Error(`${current.modificationId} ${current.status}${current.statusReason ? `: ${current.statusReason}` : ''}`);
  return current;
}
