import { deleteCopyCommand, promoteCopyCommand, type HostCommandRequest } from '../copy-commands';
import type { HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import { newClientKey } from '../psk-key';
import type { KeyVault } from '../sealed-key';
import { isInSyncNow, type Attachment, type Volume, type VolumeCopy } from '../volume';
import { HostStatus } from '../host';
import { SERVING_STATUSES } from '../volume-status';
import { transition } from '../volume-transition';
import { retryOnVersionConflict } from '../version-conflict-retry';
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
 * replaced by promoting the mirror in sync at the current generation, at generation + 1 (a
 * mirror whose mark is from an older generation is never promoted), with a fresh client key for
 * every attachment (the promoted primary admits only those) and no replication key until a new
 * mirror gets its own; a lost mirror only needs rebuilding. A dropped copy's delete command
 * names the generation it was given up at. The last copy that holds every acknowledged write is never dropped: when no
 * other copy is in sync, the doubtful copy is kept and the volume waits for an operator.
 * Until a new mirror is in sync the volume is `degraded` with the reason.
 */
export async function beginFailover(deps: BeginFailoverDeps, volumeId: string, lostCopyId: string, reason: string): Promise<FailoverPlan> {
  const decision = await retryOnVersionConflict(() => decideFailover(deps, volumeId, lostCopyId, reason));
  if (!decision.drop) return decision.plan;
  const now = deps.now();
  const { copies, generation } = decision.drop;
  await deps.hosts.release(copies.map((copy) => ({ hostId: copy.hostId, volumeId, copyId: copy.copyId })));
  for (const copy of copies) await sendHostCommand(deps.commands, deleteCopyCommand(volumeId, copy, generation), now);
  return decision.plan;
}

/**
 * Reads the volume, decides and writes the decision over the version it read, so of several
 * concurrent triggers for one volume exactly one decision is written; the others, retried on
 * the conflict, read it and find the lost copy already gone.
 */
async function decideFailover(
  deps: BeginFailoverDeps,
  volumeId: string,
  lostCopyId: string,
  reason: string,
): Promise<{ plan: FailoverPlan; drop?: { readonly copies: readonly VolumeCopy[]; readonly generation: number } }> {
  const volume = await deps.volumes.get(volumeId);
  if (!volume) return { plan: { action: 'none', why: `volume ${volumeId} no longer exists` } };
  const lost = volume.copies.find((copy) => copy.copyId === lostCopyId);
  if (!lost) return { plan: { action: 'none', why: `copy ${lostCopyId} is no longer part of volume ${volumeId}` } };
  if (!SERVING_STATUSES.includes(volume.status)) {
    return { plan: { action: 'none', why: `volume ${volumeId} is ${volume.status}; its own workflow handles the loss` } };
  }

  const now = deps.now();
  if (lost.role === 'filling' || lost.role === 'retiring') {
    // A copy of a migration that never served (or no longer does): taking it out changes nothing for
    // clients; the modification workflow notices at its next step and rolls back (docs/modification.md).
    await deps.volumes.save({ ...volume, copies: volume.copies.filter((copy) => copy.copyId !== lostCopyId), version: volume.version + 1, updatedAt: now.toISOString() });
    return {
      plan: { action: 'none', why: `the lost copy on host ${lost.hostId} was ${lost.role} in a modification; it is dropped and the volume keeps serving` },
      drop: { copies: [lost], generation: volume.generation },
    };
  }
  // Only a serving copy may be promoted: a filling copy is never a fail-over target, whatever its marks.
  const candidates = volume.copies.filter(
    (copy) => copy.copyId !== lostCopyId && (copy.role === 'primary' || copy.role === 'mirror') && isInSyncNow(volume, copy),
  );
  // A copy whose host is lost too is no survivor: promoting it would wait on a dead host, and when
  // both hosts come back the recovery decides between them (docs/recovery.md).
  const candidateHosts = await Promise.all(candidates.map((copy) => deps.hosts.get(copy.hostId)));
  const survivor = candidates.find((_, index) => candidateHosts[index]?.status === HostStatus.active);
  if (!survivor && isInSyncNow(volume, lost) && (await deps.hosts.get(lost.hostId))?.status === HostStatus.active) {
    return resumeInDoubtCopy(deps, volume, lost, reason, now);
  }
  if (!survivor) {
    const why = `copy on host ${lost.hostId} is in doubt (${reason}) but no other copy is in sync at generation ${volume.generation}; keeping it and waiting for an operator`;
    if (volume.statusReason !== why) await deps.volumes.save(transition(volume, { type: 'copy-lost', reason: why }, now));
    return { plan: { action: 'none', why: 'the lost copy is the only one with every acknowledged write; it is kept' } };
  }
  const survivors = volume.copies.filter((copy) => copy.copyId !== lostCopyId);
  let next: Volume;
  let plan: FailoverPlan;
  if (lost.role === 'primary') {
    const generation = volume.generation + 1;
    const promoted = { copyId: survivor.copyId, hostId: survivor.hostId, role: 'primary' as const, inSync: true, inSyncGeneration: generation };
    next = transition(
      volume,
      {
        type: 'copy-lost',
        reason: `primary copy on host ${lost.hostId} lost (${reason}); mirror on host ${survivor.hostId} promoted to primary at generation ${generation}; building a new mirror`,
      },
      now,
      { copies: [promoted], generation, attachments: await rekeyed(deps.keys, volume, generation), replicationKey: undefined },
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
  await deps.volumes.save(next);
  const dropped = volume.copies.filter((copy) => !next.copies.some((kept) => kept.copyId === copy.copyId));
  return { plan, drop: { copies: dropped, generation: volume.generation } };
}

/**
 * The lost copy is the only one in sync at the current generation and its host is back (an agent
 * or host restart, a daemon that died): it has every acknowledged write, so it is served again as
 * the primary at generation + 1 (fresh client keys; a command older than the host's registration
 * could not serve it) rather than waiting for an operator, and the other copies are replaced.
 */
async function resumeInDoubtCopy(
  deps: BeginFailoverDeps,
  volume: Volume,
  lost: VolumeCopy,
  reason: string,
  now: Date,
): Promise<{ plan: FailoverPlan; drop: { readonly copies: readonly VolumeCopy[]; readonly generation: number } }> {
  const generation = volume.generation + 1;
  const resumed = { copyId: lost.copyId, hostId: lost.hostId, role: 'primary' as const, inSync: true, inSyncGeneration: generation };
  const next = transition(
    volume,
    {
      type: 'copy-lost',
      reason: `copy on host ${lost.hostId} was in doubt (${reason}) but is the only one in sync at generation ${volume.generation} and its host is back; serving it as the primary at generation ${generation}; building a new mirror`,
    },
    now,
    { copies: [resumed], generation, attachments: await rekeyed(deps.keys, volume, generation), replicationKey: undefined },
  );
  await deps.volumes.save(next);
  const plan: FailoverPlan = { action: 'promote', lostHostId: lost.hostId, promote: promoteCopyCommand(next, resumed) };
  return { plan, drop: { copies: volume.copies.filter((copy) => copy.copyId !== lost.copyId), generation: volume.generation } };
}
