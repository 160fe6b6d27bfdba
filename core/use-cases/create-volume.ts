import { createHash } from 'node:crypto';
import { IdempotentParameterMismatchError } from '../errors';
import { newVolumeId } from '../ids';
import type { VolumeRepository, VolumeWorkflows } from '../ports';
import type { SnapshotRepository } from '../snapshots/ports';
import { restoreSource } from '../snapshots/restore-source';
import { NotFoundError } from '../errors';
import type { Volume } from '../volume';
import type { CreateVolumeRequest } from '../volume-requests';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';

export interface CreateVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly workflows: VolumeWorkflows;
  readonly now: () => Date;
  /** @default none - a request with `snapshotId` is then answered 404 (a control plane without snapshots) */
  readonly snapshots?: Pick<SnapshotRepository, 'get'>;
}

function fingerprintOf(request: CreateVolumeRequest): string {
  const { sizeGiB, type, iops, location, snapshotId } = request;
  return createHash('sha256').update(JSON.stringify({ sizeGiB, type, iops, location, ...(snapshotId ? { snapshotId } : {}) })).digest('hex');
}

/**
 * Records a new volume in `creating` and starts the workflow that places and builds its
 * copies. With `snapshotId` the snapshot is checked first (restore-source.ts: 404, 409 or 400,
 * and nothing is recorded) and each copy is filled from it before it serves. A retry with the same client token returns the first volume (and makes sure its
 * workflow was started); the same token with other parameters is refused. When the workflow
 * cannot be started, the volume is marked `error` with the reason (so it never stays `creating`
 * and can be deleted) before the failure is reported.
 */
export async function createVolume(deps: CreateVolumeDeps, tenantId: string, request: CreateVolumeRequest): Promise<Volume> {
  if (request.snapshotId !== undefined) {
    if (!deps.snapshots) throw new NotFoundError(`snapshot ${request.snapshotId} does not exist`, { snapshotId: request.snapshotId });
    await restoreSource(deps.snapshots, tenantId, request.snapshotId, request.sizeGiB);
  }
  const at = deps.now().toISOString();
  const fingerprint = fingerprintOf(request);
  const volumeId = newVolumeId();
  const creation = await deps.volumes.create(
    {
      volumeId,
      tenantId,
      sizeGiB: request.sizeGiB,
      type: request.type,
      iops: request.iops,
      location: request.location,
      status: VolumeStatus.creating,
      copies: [],
      generation: 1,
      attachments: [],
      version: 1,
      clientToken: request.clientToken,
      ...(request.snapshotId ? { snapshotId: request.snapshotId } : {}),
      createdAt: at,
      updatedAt: at,
    },
    fingerprint,
  );
  if (creation.created) {
    await startCreation(deps, creation.volume.volumeId);
    return creation.volume;
  }
  if (creation.existingFingerprint !== fingerprint) {
    throw new IdempotentParameterMismatchError(
      `clientToken '${request.clientToken}' was already used for a volume with other parameters`,
      { clientToken: request.clientToken, volumeId: creation.existingVolumeId },
    );
  }
  const existing = await deps.volumes.get(creation.existingVolumeId);
  if (!existing) throw new Error(`client token points at missing volume ${creation.existingVolumeId}`);
  if (existing.status === VolumeStatus.creating) await startCreation(deps, existing.volumeId);
  return existing;
}

async function startCreation(deps: CreateVolumeDeps, volumeId: string): Promise<void> {
  try {
    await deps.workflows.startCreate(volumeId);
  } catch (error) {
    await retryOnVersionConflict(async () => {
      const volume = await deps.volumes.get(volumeId);
      if (volume?.status !== VolumeStatus.creating) return;
      const reason = `the creation workflow could not be started: ${(error as Error).message}`.slice(0, 1024);
      await deps.volumes.save(transition(volume, { type: 'creation-failed', reason }, deps.now()));
    });
    throw error;
  }
}
