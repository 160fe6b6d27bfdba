import { z } from 'zod';
import { COPY_ID_PATTERN } from '../../ids';
import { newPskKey } from '../../psk-key';
import type { KeyVault } from '../../sealed-key';
import { sendHostCommand } from '../../use-cases/send-host-command';
import { retryOnVersionConflict } from '../../version-conflict-retry';
import { RecoveryStateError } from '../errors';
import { CopyDisposition, OPEN_RECOVERY_STATES, toSave } from '../volume-recovery';
import { getRecovery } from './describe-recovery';
import type { RecoveryDeps } from './recovery-deps';

export const RecoveryAccessRequestSchema = z.strictObject({
  /** Which held copy to read; by default the first one held read-only. */
  copyId: z.string().regex(COPY_ID_PATTERN, 'copy ids look like cpy-0123456789ab').optional(),
});

/** An admin export's key lives this long (presigned-URL rule: at most 15 minutes). */
export const RECOVERY_ACCESS_SECONDS = 15 * 60;

export interface RecoveryAccess {
  readonly volumeId: string;
  readonly copyId: string;
  readonly hostId: string;
  /**
   * The read-only export: the copy's host address, the copy's own NBD port (each copy keeps one
   * port for life; no daemon serves it while it is held, so the admin export takes it), and the
   * export name `<volumeId>.recovery`.
   */
  readonly exportName: string;
  readonly address: string;
  readonly port: number;
  readonly key: { readonly identity: string; readonly keyHex: string };
  readonly readOnly: true;
  readonly expiresAt: string;
}

/**
 * `POST /volumes/{id}/recovery-access`: a read-only export of a copy held in recovery, opened by
 * a key of its own that expires after RECOVERY_ACCESS_SECONDS; the paused client I/O does not
 * block it. The key is minted here, stored sealed on the recovery, and reaches the host only
 * with the `open-recovery-access` command at delivery (never in the queue).
 */
export async function grantRecoveryAccess(deps: RecoveryDeps & { readonly keys: KeyVault }, tenantId: string, volumeId: string, copyId: string | undefined): Promise<RecoveryAccess> {
  return retryOnVersionConflict(async () => {
    const recovery = await getRecovery(deps.recoveries, tenantId, volumeId);
    if (!OPEN_RECOVERY_STATES.includes(recovery.state)) {
      throw new RecoveryStateError(`the recovery of volume ${volumeId} is ${recovery.state}; no copy is held read-only`, { state: recovery.state });
    }
    const readable = recovery.copies.filter((copy) => copy.disposition === CopyDisposition.readOnly);
    const copy = copyId === undefined ? readable[0] : readable.find((c) => c.copyId === copyId);
    if (!copy) throw new RecoveryStateError(`copy ${copyId ?? '(any)'} is not held read-only; readable copies: ${readable.map((c) => c.copyId).join(', ') || 'none'}`, { copyId });
    const host = await deps.hosts.get(copy.hostId);
    if (!host) throw new RecoveryStateError(`host ${copy.hostId} is not registered yet; ask again once it is`, { hostId: copy.hostId });
    const port = (await deps.volumes.get(volumeId))?.copies.find((c) => c.copyId === copy.copyId)?.nbd?.port;
    if (port === undefined) throw new RecoveryStateError(`the volume record knows no NBD port of copy ${copy.copyId}; no admin export can be named`, { copyId: copy.copyId });
    const now = deps.now();
    const expiresAt = new Date(now.getTime() + RECOVERY_ACCESS_SECONDS * 1000).toISOString();
    const key = newPskKey(`recovery-${volumeId.slice(4)}-${copy.copyId.slice(4)}-${now.getTime().toString(36)}`);
    const sealed = await deps.keys.seal(volumeId, key);
    await deps.recoveries.save(toSave(recovery, { ...recovery, access: { copyId: copy.copyId, hostId: copy.hostId, key: sealed, expiresAt }, accessExpiresAt: expiresAt, updatedAt: now.toISOString() }));
    await sendHostCommand(deps.commands, { hostId: copy.hostId, type: 'open-recovery-access', payload: { volumeId, copyId: copy.copyId, generation: copy.generation, expiresAt } }, now);
    await deps.events.append({
      volumeId, tenantId, type: 'recovery-access-granted', at: now.toISOString(),
      message: `read-only access to copy ${copy.copyId} on host ${copy.hostId} until ${expiresAt}`, details: { copyId: copy.copyId, identity: key.identity, expiresAt },
    });
    return { volumeId, copyId: copy.copyId, hostId: copy.hostId, exportName: `${volumeId}.recovery`, address: host.address, port, key, readOnly: true, expiresAt };
  });
}
