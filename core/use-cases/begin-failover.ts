import { deleteCopyCommand, promoteCopyCommand, type HostCommandRequest } from '../copy-commands';
import type { HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import { newClientKey } from '../psk-key';
import type { KeyVault } from '../sealed-key';
import type { Attachment, Volume } from '../volume';
import { SERVING_STATUSES } from '../volume-status';
import { transition } from '../volume-transition';
import { sendHostCommand } from './send-host-command';

export interface BeginFailoverDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly keys: KeyVault;
  readonly now: () => Date;
}

/** Every attachment gets a fresh key for the new generation: nothing the lost primary's host knew opens the promoted one. */
async function rekeyed(keys: KeyVault, volume: Volume, generation: number): Promise<Attachment[]> {
  return Promise.all(
    volume.attachments.map(async (attachment) => ({
      ...attachment,
      clientKey: await keys.seal(volume.volumeId, newClientKey(volume.volumeId, attachment.attachmentId, generation)),
    })),
  );
}

/** What the fail-over workflow does next, with the decision's reason (stored on the volume too). */
export type FailoverPlan =
  | { readonly action: 'none'; readonly why: string }
  | { readonly action: 'promote'; readonly lostHostId: string; readonly promote: HostCommandRequest }
  | { readonly action: 'rebuild'; readonly lostHostId: string };

/**
 * Takes a lost copy out of its volume. The lost copy's capacity is released and its host is
 * told to delete it, so a host that comes back never serves it again. A lost primary is
 * replaced by promoting the in-sync mirror at generation + 1, with a fresh client key for
 * every attachment (the promoted primary admits only those) and no replication key until a
 * new mirror gets its own; a lost mirror only needs rebuilding. The last copy that holds every acknowledged write is never dropped: when no
 * other copy is in sync, the doubtful copy is kept and the volume waits for an operator.
 * Until a new mirror is in sync the volume is `degraded` with the reason.
 */
export async function beginFailover(deps: BeginFailoverDeps, volumeId: string, lostCopyId: string, reason: string): Promise<FailoverPlan> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume) return { action: 'none', why: `volume ${volumeId} no longer exists` };
  const lost = volume.copies.find((copy) => copy.copyId === lostCopyId);
  if (!lost) return { action: 'none', why: `copy ${lostCopyId} is no longer part of volume ${volumeId}` };
  if (!SERVING_STATUSES.includes(volume.status)) return { action: 'none', why: `volume ${volumeId} is ${volume.status}; its own workflow handles the loss` };

  const now = deps.now();
  const survivor = volume.copies.find((copy) => copy.copyId !== lostCopyId && copy.inSync);
  if (!survivor) {
    const kept = transition(
      volume,
      { type: 'copy-lost', reason: `copy on host ${lost.hostId} is in doubt (${reason}) but no other copy is in sync; keeping it and waiting for an operator` },
      now,
    );
    await deps.volumes.save(kept);
    return { action: 'none', why: 'the lost copy is the only one with every acknowledged write; it is kept' };
  }
  const survivors = volume.copies.filter((copy) => copy.copyId !== lostCopyId);
  let next: Volume;
  let plan: FailoverPlan;
  if (lost.role === 'primary') {
    const promoted = { copyId: survivor.copyId, hostId: survivor.hostId, role: 'primary' as const, inSync: true };
    next = transition(
      volume,
      {
        type: 'copy-lost',
        reason: `primary copy on host ${lost.hostId} lost (${reason}); mirror on host ${survivor.hostId} promoted to primary at generation ${volume.generation + 1}; building a new mirror`,
      },
      now,
      { copies: [promoted], generation: volume.generation + 1, attachments: await rekeyed(deps.keys, volume, volume.generation + 1), replicationKey: undefined },
    );
    plan = { action: 'promote', lostHostId: lost.hostId, promote: promoteCopyCommand(next, promoted) };
  } else {
    next = transition(
      volume,
      { type: 'copy-lost', reason: `mirror copy on host ${lost.hostId} lost (${reason}); running on one copy until a new mirror is built` },
      now,
      { copies: survivors.filter((copy) => copy.role === 'primary') },
    );
    plan = { action: 'rebuild', lostHostId: lost.hostId };
  }
  const dropped = volume.copies.filter((copy) => !next.copies.some((kept) => kept.copyId === copy.copyId));
  await deps.volumes.save(next);
  await deps.hosts.release(dropped.map((copy) => ({ hostId: copy.hostId, volumeId, copyId: copy.copyId })));
  for (const copy of dropped) await sendHostCommand(deps.commands, deleteCopyCommand(volumeId, copy, volume.generation), now);
  return plan;
}
