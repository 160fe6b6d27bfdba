import { deleteCopyCommand, type HostCommandRequest } from '../copy-commands';
import type { Modification } from '../modification';
import { reServeCommandOf } from '../modification-steps';
import type { HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import type { Volume, VolumeCopy } from '../volume';
import { VolumeStatus } from '../volume-status';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { sendHostCommand } from './send-host-command';

export interface RollbackDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly now: () => Date;
}

/**
 * Undoes what a modification holds that does not serve the volume: filling copies are taken out of
 * the record, their hosts told to delete them and their reservations released; retired copies are
 * deleted and released too. Before the cutover the staying copies' reservations get their original
 * size and IOPS back, so a cancel leaves the volume and the fleet exactly as before; after it they
 * stay (the copies may already serve the new parameters). A modification that ends while the
 * primary is quiesced, before another copy serves, needs the primary told to serve again, mirroring
 * to the mirror the record counts in sync (`reServeCommandOf`): that command is returned, not sent,
 * for the workflow to send and wait for (modification-re-serve.ts). None is returned when the
 * volume is no longer `modifying`: then a fail-over owns it (a host was lost) and the rollback
 * leaves the copies to it. Repeating it is harmless.
 */
export async function rollBackModification(deps: RollbackDeps, volumeId: string, modification: Modification): Promise<RollbackOutcome> {
  const held = modification.reservations;
  const plan = modification.plan;
  const newCopyIds = plan?.kind === 'migrate' ? plan.moves.map((move) => move.newCopyId) : [];
  const retiredCopyIds = plan?.kind === 'migrate' ? plan.moves.map((move) => move.replacesCopyId) : [];
  let dropped: readonly VolumeCopy[] = [];
  const volume = await retryOnVersionConflict(async () => {
    const current = await deps.volumes.get(volumeId);
    if (!current) return undefined;
    dropped = current.copies.filter(
      (copy) => (newCopyIds.includes(copy.copyId) && copy.role === 'filling') || (retiredCopyIds.includes(copy.copyId) && copy.role === 'retiring'),
    );
    if (dropped.length === 0) return current;
    const next = {
      ...current,
      copies: current.copies.filter((copy) => !dropped.some((gone) => gone.copyId === copy.copyId)),
      version: current.version + 1,
      updatedAt: deps.now().toISOString(),
    };
    await deps.volumes.save(next);
    return next;
  });
  for (const copy of dropped) await sendHostCommand(deps.commands, deleteCopyCommand(volumeId, copy, volume?.generation ?? 1), deps.now());
  const reServe = volume?.status === VolumeStatus.modifying ? reServeCommandOf(volume, modification) : undefined;
  if (!held) return { volume, reServe };
  const serving = new Set((volume?.copies ?? []).map((copy) => copy.copyId));
  await deps.hosts.release([
    ...held.created.filter((reservation) => !serving.has(reservation.copyId)),
    ...dropped.filter((copy) => retiredCopyIds.includes(copy.copyId)).map((copy) => ({ hostId: copy.hostId, volumeId, copyId: copy.copyId })),
  ]);
  if (!modification.pastCutover) for (const { before } of held.resized) await deps.hosts.resize(before);
  return { volume, reServe };
}

export interface RollbackOutcome {
  readonly volume: Volume | undefined;
  /** The command that tells the quiesced primary to serve again (`resize-copy`), for the caller to send; absent when none is needed. */
  readonly reServe?: HostCommandRequest;
}
