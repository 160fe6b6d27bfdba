import { InsufficientCapacityError } from '../errors';
import { newCommandId } from '../ids';
import { hostsAvoiding, isFinal, ModificationStatus, type Modification } from '../modification';
import { planModification, planReservations } from '../modification-plan';
import type { ModificationRepository } from '../modification-ports';
import { commandOfStep, isCutover, parametersInEffectAfter, stepsOf, volumeAfterStep, volumeBeforeStep } from '../modification-steps';
import { newCopyId } from '../ids';
import type { HostCommandQueue, HostRepository, Reservation, VolumeRepository } from '../ports';
import type { Volume } from '../volume';
import { VolumeStatus } from '../volume-status';
import { retryOnVersionConflict } from '../version-conflict-retry';
import { finish, type NextAction, type StepAnswer } from './finish-modification';
import { awaitsReServe, endAfterReServe } from './modification-re-serve';
import { rollBackModification } from './modification-rollback';

export interface AdvanceModificationDeps {
  readonly volumes: VolumeRepository;
  readonly modifications: ModificationRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly now: () => Date;
}

/**
 * One turn of the modification workflow (docs/modification.md, "Timeline"): records what the
 * answered step proves, then, before the cutover, honours a cancel (roll back, `cancelled`) or a
 * merged request (roll back, plan again); plans and reserves when nothing is reserved (admission
 * control first: the plan refuses what no host can hold, then every reservation is made or none);
 * takes the new parameters onto the volume once the last data step is done (`optimizing`); ends
 * the modification when every step is done, handing the volume to the queued one if any; else
 * records and returns the next step's host command. Every write is over the version read, so a
 * cancel racing the cutover either wins (nothing client-visible was sent) or finds it past cutover.
 */
export async function advanceModification(
  deps: AdvanceModificationDeps,
  volumeId: string,
  modificationId: string,
  answer: StepAnswer | undefined,
): Promise<NextAction> {
  return retryOnVersionConflict(() => advanceOnce(deps, volumeId, modificationId, answer));
}

async function advanceOnce(deps: AdvanceModificationDeps, volumeId: string, modificationId: string, answer: StepAnswer | undefined): Promise<NextAction> {
  let modification = await deps.modifications.get(volumeId, modificationId);
  if (!modification) throw new Error(`modification ${modificationId} of volume ${volumeId} does not exist`);
  if (isFinal(modification)) return { action: 'done', modificationId, status: modification.status };
  if (awaitsReServe(modification)) return endAfterReServe(deps, modification, answer);
  const now = deps.now();
  let volume = await deps.volumes.get(volumeId);
  if (!volume || volume.modificationId !== modificationId) throw new Error(`volume ${volumeId} is not being modified by ${modificationId}`);

  if (answer && modification.currentCommand?.commandId === answer.commandId && modification.plan) {
    const step = stepsOf(modification.plan)[modification.stepsDone];
    const answered = modification;
    volume = await editVolume(deps, volumeId, (current) => volumeAfterStep(current, answered, step, answer.result));
    if (step.name === 'delete-retired-copy') {
      const move = modification.plan.kind === 'migrate' ? modification.plan.moves[step.move] : undefined;
      if (move) await deps.hosts.release([{ hostId: move.fromHostId, volumeId, copyId: move.replacesCopyId }]);
    }
    modification = await saveModification(deps, { ...modification, stepsDone: modification.stepsDone + 1, currentCommand: undefined }, now);
  }

  if (volume.status !== VolumeStatus.modifying) {
    await rollBackModification(deps, volumeId, modification);
    await finish(deps, modification, ModificationStatus.failed, `the volume became ${volume.status} during the modification (${volume.statusReason ?? 'no reason given'}); fail-over owns it now`);
    return { action: 'done', modificationId, status: ModificationStatus.failed };
  }

  if (!modification.pastCutover && modification.cancelRequested) {
    await rollBackModification(deps, volumeId, modification);
    return finish(deps, modification, ModificationStatus.cancelled, 'cancelled before its cutover; the volume is as it was');
  }
  if (!modification.pastCutover && modification.replanRequested) {
    await rollBackModification(deps, volumeId, modification);
    modification = await saveModification(deps, { ...modification, reserved: false, reservations: undefined, replanRequested: false, stepsDone: 0, currentCommand: undefined }, now);
    volume = (await deps.volumes.get(volumeId)) ?? volume;
  }
  if (!modification.reserved) modification = await planAndReserve(deps, volume, modification, now);
  const plan = modification.plan;
  if (!plan) throw new Error(`modification ${modificationId} has no plan after planning`);
  const steps = stepsOf(plan);

  if (modification.stepsDone > parametersInEffectAfter(steps) && modification.status === ModificationStatus.modifying) {
    const target = modification.target;
    volume = await editVolume(deps, volumeId, (current) => ({ ...current, ...target }));
    modification = await saveModification(deps, { ...modification, status: ModificationStatus.optimizing }, now);
  }
  if (modification.stepsDone >= steps.length) return finish(deps, modification, ModificationStatus.completed, undefined);

  const step = steps[modification.stepsDone];
  const planned = modification;
  const before = volumeBeforeStep(volume, planned, step);
  const command = { ...commandOfStep(before, planned, step), commandId: newCommandId(now) };
  modification = await saveModification(
    deps,
    {
      ...modification,
      pastCutover: modification.pastCutover || isCutover(step),
      currentCommand: { hostId: command.hostId, commandId: command.commandId, step: step.name, sentAt: now.toISOString() },
    },
    now,
  );
  if (before !== volume) await editVolume(deps, volumeId, (current) => volumeBeforeStep(current, planned, step));
  return { action: 'command', modificationId, command };
}

async function planAndReserve(deps: AdvanceModificationDeps, volume: Volume, modification: Modification, now: Date): Promise<Modification> {
  const hosts = await deps.hosts.listInLocation(modification.target.location);
  const others = await Promise.all(volume.copies.filter((copy) => !hosts.some((host) => host.hostId === copy.hostId)).map((copy) => deps.hosts.get(copy.hostId)));
  const plan = planModification(volume, modification.target, hostsAvoiding([...hosts, ...others.filter((host) => host !== undefined)], modification.awayFromHostIds), newCopyId);
  const { reserve, resize } = planReservations(volume, modification.target, plan);
  // An in-place plan creates no copy (an empty transaction is refused by DynamoDB).
  if (reserve.length > 0) await deps.hosts.reserve(reserve);
  const resized: { before: Reservation; after: Reservation }[] = [];
  try {
    for (const after of resize) {
      const before = { ...after, sizeGiB: volume.sizeGiB, iops: volume.iops };
      await deps.hosts.resize(after);
      resized.push({ before, after });
    }
  } catch (error) {
    for (const { before } of resized) await deps.hosts.resize(before);
    if (reserve.length > 0) await deps.hosts.release(reserve);
    if (error instanceof InsufficientCapacityError) {
      throw new InsufficientCapacityError(`a current host can no longer take the new parameters: ${error.message}`, error.details, { cause: error });
    }
    throw error;
  }
  return saveModification(
    deps,
    { ...modification, plan, reserved: true, reservations: { created: reserve, resized }, stepsTotal: stepsOf(plan).length, stepsDone: 0 },
    now,
  );
}

async function saveModification(deps: Pick<AdvanceModificationDeps, 'modifications'>, modification: Modification, now: Date): Promise<Modification> {
  const next = { ...modification, updatedAt: now.toISOString(), version: modification.version + 1 };
  await deps.modifications.save(next);
  return next;
}

/** Re-reads and re-applies on a version conflict (an attach or detach may write the volume meanwhile). */
async function editVolume(deps: Pick<AdvanceModificationDeps, 'volumes' | 'now'>, volumeId: string, edit: (volume: Volume) => Volume): Promise<Volume> {
  return retryOnVersionConflict(async () => {
    const current = await deps.volumes.get(volumeId);
    if (!current) throw new Error(`volume ${volumeId} no longer exists`);
    const edited = edit(current);
    if (edited === current) return current;
    const next = { ...edited, version: current.version + 1, updatedAt: deps.now().toISOString() };
    await deps.volumes.save(next);
    return next;
  });
}
