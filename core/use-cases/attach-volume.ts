import { InvalidStateError, LimitExceededError, NotFoundError } from '../errors';
import { newAttachmentId } from '../ids';
import type { VolumeRepository } from '../ports';
import { primaryOf, type Volume } from '../volume';
import { SERVING_STATUSES } from '../volume-status';
import { transition } from '../volume-transition';
import { getVolume } from './get-volume';

/** How a client connects: the primary's export and the volume's client key, nothing else. */
export function connectionOf(volume: Volume, attachmentId: string) {
  const primary = primaryOf(volume);
  if (!SERVING_STATUSES.includes(volume.status) || !primary?.nbd) {
    throw new InvalidStateError(`volume ${volume.volumeId} is ${volume.status} and has no serving primary`, { status: volume.status });
  }
  return {
    attachmentId,
    volumeId: volume.volumeId,
    generation: volume.generation,
    hostId: primary.hostId,
    nbd: primary.nbd,
    tls: { type: 'psk', identity: volume.keys.client.identity, keyHex: volume.keys.client.keyHex },
  };
}

/** Attachments one volume may have at once (docs/api.md); the volume item stays far below DynamoDB's 400 KB. */
export const MAX_ATTACHMENTS_PER_VOLUME = 16;

export interface AttachVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly now: () => Date;
}

/** Records a new attachment (the volume becomes in-use) and answers how to connect. */
export async function attachVolume(deps: AttachVolumeDeps, tenantId: string, volumeId: string) {
  const volume = await getVolume(deps.volumes, tenantId, volumeId);
  if (volume.attachments.length >= MAX_ATTACHMENTS_PER_VOLUME) {
    throw new LimitExceededError(`volume ${volumeId} already has ${volume.attachments.length} attachments; the limit is ${MAX_ATTACHMENTS_PER_VOLUME}`, {
      volumeId,
      attachments: volume.attachments.length,
      limit: MAX_ATTACHMENTS_PER_VOLUME,
    });
  }
  const attachmentId = newAttachmentId();
  connectionOf(volume, attachmentId);
  const now = deps.now();
  const attached = transition(volume, { type: 'attached' }, now, {
    attachments: [...volume.attachments, { attachmentId, createdAt: now.toISOString() }],
  });
  await deps.volumes.save(attached);
  return connectionOf(attached, attachmentId);
}

/** Where an existing attachment connects now: after a failover this names the new primary. */
export async function describeAttachment(volumes: VolumeRepository, tenantId: string, volumeId: string, attachmentId: string) {
  const volume = await getVolume(volumes, tenantId, volumeId);
  if (!volume.attachments.some((a) => a.attachmentId === attachmentId)) {
    throw new NotFoundError(`attachment ${attachmentId} does not exist on volume ${volumeId}`, { volumeId, attachmentId });
  }
  return connectionOf(volume, attachmentId);
}

/** Removes an attachment; the volume is available again once none is left. */
export async function detachVolume(deps: AttachVolumeDeps, tenantId: string, volumeId: string, attachmentId: string) {
  const volume = await getVolume(deps.volumes, tenantId, volumeId);
  const remaining = volume.attachments.filter((a) => a.attachmentId !== attachmentId);
  if (remaining.length === volume.attachments.length) {
    throw new NotFoundError(`attachment ${attachmentId} does not exist on volume ${volumeId}`, { volumeId, attachmentId });
  }
  const detached = transition(volume, { type: 'detached', remainingAttachments: remaining.length }, deps.now(), { attachments: remaining });
  await deps.volumes.save(detached);
  return { volumeId, attachmentId, status: detached.status };
}
