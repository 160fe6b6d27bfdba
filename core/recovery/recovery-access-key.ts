import type { HostCommand } from '../host-command';
import type { SealedKey } from '../sealed-key';
import { CopyDisposition, OPEN_RECOVERY_STATES, type VolumeRecovery } from './volume-recovery';

/**
 * The sealed key an `open-recovery-access` command carries to `hostId`, decided when it is
 * delivered, from the recovery as it is now: only while the recovery is still open, the copy is
 * still held read-only on this host, the access names this copy on this host with this
 * command's expiry (a later grant replaces it), and the access has not expired. Anything else gets no key, so the host opens nothing.
 */
export function recoveryKeyToDeliver(recovery: VolumeRecovery | undefined, hostId: string, command: Pick<HostCommand, 'type' | 'payload'>, now: Date): SealedKey | undefined {
  if (command.type !== 'open-recovery-access' || !recovery?.access) return undefined;
  const { copyId, expiresAt } = command.payload as { copyId?: unknown; expiresAt?: unknown };
  const { access } = recovery;
  if (!OPEN_RECOVERY_STATES.includes(recovery.state)) return undefined;
  const held = recovery.copies.find((copy) => copy.copyId === copyId && copy.hostId === hostId);
  if (held?.disposition !== CopyDisposition.readOnly) return undefined;
  if (access.copyId !== copyId || access.hostId !== hostId || access.expiresAt !== expiresAt) return undefined;
  return Date.parse(access.expiresAt) > now.getTime() ? access.key : undefined;
}
