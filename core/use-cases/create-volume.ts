import { createHash } from 'node:crypto';
import { IdempotentParameterMismatchError } from '../errors';
import { newVolumeId } from '../ids';
import type { VolumeRepository, VolumeWorkflows } from '../ports';
import type { Volume } from '../volume';
import type { CreateVolumeRequest } from '../volume-requests';
import { VolumeStatus } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';

export interface CreateVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly workflows: VolumeWorkflows;
  readonly now: () => Date;
}

function fingerprintOf(request: CreateVolumeRequest): string {
  const { sizeGiB, type, iops, location } = request;
  return createHash('sha256').update(JSON.stringify({ sizeGiB, type, iops, location })).digest('hex');
}

/**
 * Records a new volume in `creating` and starts the workflow that places and builds its
 * copies. A retry with the same client token returns the first volume (and makes sure its
 * workflow was started); the same token with other parameters is refused. When the workflow
 * cannot be started, the volume is marked `error` with the reason (so it never stays `creating`
 * and can be deleted) before the failure is reported.
 */
export async function createVolume(deps: CreateVolumeDeps, tenantId: string, request: CreateVolumeRequest): Promise<Volume> {
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
