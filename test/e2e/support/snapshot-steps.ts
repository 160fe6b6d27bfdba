import { readFileSync } from 'node:fs';
import { ok, type VolumeView, type VolumeApi } from '../../../client/blockplane-api';
import type { SignedHttp } from '../../../client/signed-http';
import { eventually } from './local-cloud';
import type { LocalFleetVolumes } from './local-fleet-volumes';
import { copyDataFile } from './nbd-clients';

/** Steps the snapshot e2e files share: take a snapshot and wait for it to end, restore it into a new volume, find a copy's file, read the agent's figures. */
export interface SnapshotView {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly progressPercent: number;
  readonly pointAt?: string;
  readonly parentSnapshotId?: string;
}

export async function startSnapshot(http: SignedHttp, volumeId: string): Promise<SnapshotView> {
  return ok<SnapshotView>(await http.request('POST', `/volumes/${volumeId}/snapshots`, {}));
}

export async function snapshotEnded(http: SignedHttp, snapshotId: string, timeoutMs = 240_000): Promise<SnapshotView> {
  return eventually(async () => {
    const seen = ok<SnapshotView>(await http.request('GET', `/snapshots/${snapshotId}`));
    return seen.status === 'pending' ? undefined : seen;
  }, timeoutMs, `snapshot ${snapshotId} to end`, 500);
}

/** POST /volumes with `snapshotId` (on the hdd disks, so the ssd ones of the source leave room) until it settles. */
export async function restoreInto(tenant: VolumeApi, fleet: LocalFleetVolumes, snapshotId: string, sizeGiB: number): Promise<VolumeView> {
  const created = ok<VolumeView>(await tenant.create({ sizeGiB, type: 'hdd', location: fleet.location, snapshotId }));
  return eventually(async () => {
    const view = ok<VolumeView>(await tenant.get(created.volumeId));
    return view.status === 'creating' ? undefined : view;
  }, 240_000, `volume ${created.volumeId} restored from ${snapshotId} to settle`, 250);
}

export function copyFileOf(fleet: LocalFleetVolumes, volume: VolumeView, role: 'primary' | 'mirror'): string {
  const copy = volume.copies.find((candidate) => candidate.role === role)!;
  const host = fleet.hosts.find((candidate) => candidate.hostId === copy.hostId)!;
  const file = copyDataFile(host.dataDir, copy.copyId);
  if (!file) throw new Error(`no data file for ${role} copy ${copy.copyId} on ${copy.hostId}`);
  return file;
}

/** The agent's own figures of a snapshot it uploaded (its `snapshot uploaded` log line, agent/snapshots/snapshot-controller.ts). */
export interface UploadedLine {
  readonly retries: number;
  readonly renewals: number;
  readonly uploadedChunks: number;
  readonly readChunks: number;
  readonly incrementalFrom?: string;
}

export function uploadedLine(logFile: string, snapshotId: string): UploadedLine | undefined {
  const line = readFileSync(logFile, 'utf8')
    .split('\n')
    .find((text) => text.includes('"snapshot uploaded"') && text.includes(snapshotId));
  return line ? (JSON.parse(line) as UploadedLine) : undefined;
}
