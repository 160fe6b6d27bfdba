import { setClientKeysCommand } from '../copy-commands';
import { InvalidStateError, LimitExceededError, NotFoundError } from '../errors';
import { newAttachmentId } from '../ids';
import type { HostCommandQueue, VolumeRepository } from '../ports';
import { newClientKey, type PskKey } from '../psk-key';
import type { KeyVault } from '../sealed-key';
import { primaryOf, type Volume } from '../volume';
import { SERVING_STATUSES } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { getVolume } from './get-volume';
import { sendHostCommand } from './send-host-command';

/** The primary clients connect to; refused while the volume does not serve. */
function servingPrimaryOf(volume: Volume) {
  const primary = primaryOf(volume);
  if (!SERVING_STATUSES.includes(volume.status) || !primary?.nbd) {
    throw new InvalidStateError(`volume ${volume.volumeId} is ${volume.status} and has no serving primary`, { status: volume.status });
  }
  return { ...primary, nbd: primary.nbd };
}

/** How a client connects: the primary's export and this attachment's own client key, nothing else. */
export function connectionOf(volume: Volume, attachmentId: string, key: PskKey) {
  const primary = servingPrimaryOf(volume);
  return {
    attachmentId,
    volumeId: volume.volumeId,
    generation: volume.generation,
    hostId: primary.hostId,
    nbd: primary.nbd,
    tls: { type: 'psk', identity: key.identity, keyHex: key.keyHex },
  };
}

/** Attachments one volume may have at once (docs/api.md); the volume item stays far below DynamoDB's 400 KB. */
export const MAX_ATTACHMENTS_PER_VOLUME = 16;

export interface AttachVolumeDeps {
  readonly volumes: VolumeRepository;
  readonly commands: HostCommandQueue;
  readonly keys: KeyVault;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** How long attach waits for the primary to admit the new key before it answers anyway. */
export const KEY_APPLY_WAIT_MS = 12_000;
/** How often attach looks whether the primary applied the key. */
export const KEY_APPLY_POLL_MS = 100;

/**
 * Waits (bounded) until the host has answered `commandId`. Whatever the answer, attach then
 * answers: the attachment exists, and a primary that is slow or busy (a promotion under way)
 * admits the key with its next key list.
 */
async function awaitAnswer(deps: AttachVolumeDeps, hostId: string, commandId: string): Promise<void> {
  const deadline = deps.now().getTime() + KEY_APPLY_WAIT_MS;
  for (;;) {
    const command = await deps.commands.get(hostId, commandId);
    if ((command && command.status !== 'pending') || deps.now().getTime() + KEY_APPLY_POLL_MS > deadline) return;
    await deps.sleep(KEY_APPLY_POLL_MS);
  }
}

/**
 * Tells the primary to admit exactly the current attachments' keys (they are read when the
 * command is delivered); returns the command id. Sent even while a promoted primary has no
 * endpoint yet: its host answers it after the promotion, or refuses it harmlessly before.
 */
async function refreshPrimaryKeys(deps: Pick<AttachVolumeDeps, 'commands'>, volume: Volume, now: Date): Promise<{ hostId: string; commandId: string } | undefined> {
  const primary = primaryOf(volume);
  if (!primary) return undefined;
  const command = setClientKeysCommand(volume, primary);
  return { hostId: command.hostId, commandId: await sendHostCommand(deps.commands, command, now) };
}

/**
 * Records a new attachment (the volume becomes in-use) with a client key minted for it alone,
 * has the primary admit that key, and answers how to connect. The answer waits (at most
 * {@link KEY_APPLY_WAIT_MS}) until the primary confirmed the new key list, so a client that
 * connects right away gets in. A concurrent change (a rebuild) is retried (VERSION_CONFLICT_RETRY).
 */
export async function attachVolume(deps: AttachVolumeDeps, tenantId: string, volumeId: string) {
  const attachmentId = newAttachmentId();
  const { attached, key, now } = await retryOnVersionConflict(async () => {
    const volume = await getVolume(deps.volumes, tenantId, volumeId);
    if (volume.attachments.length >= MAX_ATTACHMENTS_PER_VOLUME) {
      throw new LimitExceededError(`volume ${volumeId} already has ${volume.attachments.length} attachments; the limit is ${MAX_ATTACHMENTS_PER_VOLUME}`, {
        volumeId,
        attachments: volume.attachments.length,
        limit: MAX_ATTACHMENTS_PER_VOLUME,
      });
    }
    const minted = newClientKey(volumeId, attachmentId, volume.generation);
    servingPrimaryOf(volume);
    const at = deps.now();
    const clientKey = await deps.keys.seal(volumeId, minted);
    const next = transition(volume, { type: 'attached' }, at, {
      attachments: [...volume.attachments, { attachmentId, createdAt: at.toISOString(), clientKey }],
    });
    await deps.volumes.save(next);
    return { attached: next, key: minted, now: at };
  });
  const refresh = await refreshPrimaryKeys(deps, attached, now);
  if (refresh) await awaitAnswer(deps, refresh.hostId, refresh.commandId);
  return connectionOf(attached, attachmentId, key);
}

/** Where an existing attachment connects now, with its current key: after a fail-over this names the new primary and the fresh key. */
export async function describeAttachment(deps: Pick<AttachVolumeDeps, 'volumes' | 'keys'>, tenantId: string, volumeId: string, attachmentId: string) {
  const volume = await getVolume(deps.volumes, tenantId, volumeId);
  const attachment = volume.attachments.find((a) => a.attachmentId === attachmentId);
  if (!attachment) {
    throw new NotFoundError(`attachment ${attachmentId} does not exist on volume ${volumeId}`, { volumeId, attachmentId });
  }
  servingPrimaryOf(volume);
  return connectionOf(volume, attachmentId, await deps.keys.open(volumeId, attachment.clientKey));
}

/** Removes an attachment and revokes its key on the primary; the volume is available again once none is left. A concurrent change is retried (VERSION_CONFLICT_RETRY). */
export async function detachVolume(deps: Pick<AttachVolumeDeps, 'volumes' | 'commands' | 'now'>, tenantId: string, volumeId: string, attachmentId: string) {
  const { detached, now } = await retryOnVersionConflict(async () => {
    const volume = await getVolume(deps.volumes, tenantId, volumeId);
    const remaining = volume.attachments.filter((a) => a.attachmentId !== attachmentId);
    if (remaining.length === volume.attachments.length) {
      throw new NotFoundError(`attachment ${attachmentId} does not exist on volume ${volumeId}`, { volumeId, attachmentId });
    }
    const at = deps.now();
    const next = transition(volume, { type: 'detached', remainingAttachments: remaining.length }, at, { attachments: remaining });
    await deps.volumes.save(next);
    return { detached: next, now: at };
  });
  await refreshPrimaryKeys(deps, detached, now);
  return { volumeId, attachmentId, status: detached.status };
}
