import type { HostCommandRequest } from './copy-commands';
import { deleteCopyCommand, diskOf, promoteCopyCommand, startReplicationCommand } from './copy-commands';
import type { CopyMove, Modification, ModificationPlan } from './modification';
import { mirrorOf, primaryOf, type Volume, type VolumeCopy } from './volume';

/**
 * The command sequence of every plan, in one place (docs/modification.md, "Timeline"). The workflow
 * (statemachines/modify-volume.asl.json) runs these one after the other: for each step the
 * `Advance modification` task edits the volume record as the step needs, returns the host command,
 * waits for its result, and records what the result proves before the next step.
 */
export type ModificationStep =
  | { readonly name: 'set-iops' }
  | { readonly name: 'quiesce-for-grow' }
  | { readonly name: 'resize-mirror' }
  | { readonly name: 'resize-primary' }
  | { readonly name: 'create-filling-copy'; readonly move: number }
  | { readonly name: 'extend-chain'; readonly move: number }
  | { readonly name: 'quiesce-for-cutover'; readonly move: number }
  | { readonly name: 'end-chain'; readonly move: number }
  | { readonly name: 'promote'; readonly move: number }
  | { readonly name: 'start-replication'; readonly move: number }
  | { readonly name: 'switch-mirror'; readonly move: number }
  | { readonly name: 'delete-retired-copy'; readonly move: number };

/**
 * In place: set-iops, then the replicated grow (quiesce the primary, resize the mirror, resize the
 * primary). Migration: per move (primary first) a new copy filled from the mirror through the chain
 * and cut over; then the grow in place (a chain needs copies of equal size, so new copies start at
 * the current size); then set-iops when the primary stayed; the retired copies are deleted last.
 *
 * The cutover of a move of the primary (A→B→C, A quiesced): B ends the chain at generation + 1
 * (its final sync into C, its export renamed), C is promoted with B as its mirror, and A retires.
 * The cutover of a move of the mirror (A→B→C, A quiesced): B ends the chain with a final sync
 * (C == B == A), and A takes C as its mirror (`resize-copy` at the current size ends the quiesce,
 * mirroring to the named copy with `sync: none`); B retires. The generation stays: no primary
 * changed, and a retiring copy is never promoted.
 */
export function stepsOf(plan: ModificationPlan): ModificationStep[] {
  const grow: ModificationStep[] = plan.grow ? [{ name: 'quiesce-for-grow' }, { name: 'resize-mirror' }, { name: 'resize-primary' }] : [];
  if (plan.kind === 'in-place') return [...(plan.setIops ? [{ name: 'set-iops' } as const] : []), ...grow];
  const rounds = plan.moves.flatMap((copyMove, move): ModificationStep[] => [
    { name: 'create-filling-copy', move },
    { name: 'extend-chain', move },
    { name: 'quiesce-for-cutover', move },
    { name: 'end-chain', move },
    ...(copyMove.role === 'primary' ? [{ name: 'promote', move } as const, { name: 'start-replication', move } as const] : [{ name: 'switch-mirror', move } as const]),
  ]);
  const primaryMoved = plan.moves.some((move) => move.role === 'primary');
  const iops: ModificationStep[] = plan.setIops && !primaryMoved ? [{ name: 'set-iops' }] : [];
  const deletes = plan.moves.map((_, move): ModificationStep => ({ name: 'delete-retired-copy', move }));
  return [...rounds, ...grow, ...iops, ...deletes];
}

/** Sending this step or any later one is the cutover: clients notice from here, so no cancel and no merge. */
export function isCutover(step: ModificationStep): boolean {
  return step.name === 'set-iops' || step.name === 'quiesce-for-grow' || step.name === 'quiesce-for-cutover';
}

/** After this step the new parameters are in effect (the volume record takes them; `optimizing`). */
export function parametersInEffectAfter(steps: readonly ModificationStep[]): number {
  const last = steps.map((step) => step.name !== 'delete-retired-copy').lastIndexOf(true);
  return last;
}

function requireCopy(volume: Volume, copyId: string): VolumeCopy {
  const copy = volume.copies.find((candidate) => candidate.copyId === copyId);
  if (!copy) throw new Error(`copy ${copyId} is no longer part of volume ${volume.volumeId}`);
  return copy;
}

function requirePrimary(volume: Volume): VolumeCopy {
  const primary = primaryOf(volume);
  if (!primary) throw new Error(`volume ${volume.volumeId} has no primary`);
  return primary;
}

function requireMirror(volume: Volume): VolumeCopy {
  const mirror = mirrorOf(volume);
  if (!mirror) throw new Error(`volume ${volume.volumeId} has no mirror`);
  return mirror;
}

function moveOf(modification: Modification, move: number): CopyMove {
  const plan = modification.plan;
  if (plan?.kind !== 'migrate' || !plan.moves[move]) throw new Error(`modification ${modification.modificationId} has no move ${move}`);
  return plan.moves[move];
}

const base = (volume: Volume, copy: VolumeCopy) => ({ volumeId: volume.volumeId, copyId: copy.copyId, generation: volume.generation });

/** The volume as it must be recorded before the step's command is sent (the command is built from it); applying it twice changes nothing more. */
export function volumeBeforeStep(volume: Volume, modification: Modification, step: ModificationStep): Volume {
  switch (step.name) {
    case 'create-filling-copy': {
      const move = moveOf(modification, step.move);
      if (volume.copies.some((copy) => copy.copyId === move.newCopyId)) return volume;
      const disk = move.toDeviceId === undefined ? {} : { deviceId: move.toDeviceId };
      return { ...volume, copies: [...volume.copies, { copyId: move.newCopyId, hostId: move.toHostId, ...disk, role: 'filling', inSync: false }] };
    }
    case 'promote': {
      // Planned cutover: the old primary is quiesced and the new copy identical, so the primary changes at generation + 1.
      const move = moveOf(modification, step.move);
      if (volume.copies.some((copy) => copy.copyId === move.replacesCopyId && copy.role === 'retiring')) return volume;
      const generation = volume.generation + 1;
      const primary = requirePrimary(volume);
      const copies = volume.copies.map((copy): VolumeCopy => {
        if (copy.copyId === move.newCopyId) {
          return move.role === 'primary'
            ? { ...copy, role: 'primary', inSync: true, inSyncGeneration: generation }
            : { ...copy, role: 'mirror', inSync: false, inSyncGeneration: undefined };
        }
        if (copy.copyId === move.replacesCopyId) return { ...copy, role: 'retiring', inSync: false, inSyncGeneration: undefined };
        if (copy.copyId === primary.copyId) return { ...copy, inSync: true, inSyncGeneration: generation };
        if (copy.role === 'mirror') return { ...copy, inSync: false, inSyncGeneration: undefined };
        return copy;
      });
      return { ...volume, generation, copies };
    }
    case 'switch-mirror': {
      const move = moveOf(modification, step.move);
      if (volume.copies.some((copy) => copy.copyId === move.replacesCopyId && copy.role === 'retiring')) return volume;
      const copies = volume.copies.map((copy): VolumeCopy => {
        if (copy.copyId === move.newCopyId) return { ...copy, role: 'mirror', inSync: false, inSyncGeneration: undefined };
        if (copy.copyId === move.replacesCopyId) return { ...copy, role: 'retiring', inSync: false, inSyncGeneration: undefined };
        return copy;
      });
      return { ...volume, copies };
    }
    default:
      return volume;
  }
}

/** A copy's endpoint as a primary names its mirror (start-replication, planned promote-copy, resize-copy). */
function mirrorEndpoint(copy: VolumeCopy): Record<string, unknown> {
  if (!copy.nbd) throw new Error(`copy ${copy.copyId} has no endpoint yet`);
  return { hostId: copy.hostId, copyId: copy.copyId, ...copy.nbd };
}

/** The host command of a step, built from the volume as recorded before it (volumeBeforeStep). */
export function commandOfStep(volume: Volume, modification: Modification, step: ModificationStep): HostCommandRequest {
  const target = modification.target;
  switch (step.name) {
    case 'set-iops': {
      const primary = requirePrimary(volume);
      return { hostId: primary.hostId, type: 'set-iops', payload: { ...base(volume, primary), iops: target.iops } };
    }
    case 'quiesce-for-grow':
    case 'quiesce-for-cutover': {
      const primary = requirePrimary(volume);
      return { hostId: primary.hostId, type: 'quiesce-replication', payload: base(volume, primary) };
    }
    case 'resize-mirror': {
      const mirror = requireMirror(volume);
      return { hostId: mirror.hostId, type: 'resize-copy', payload: { ...base(volume, mirror), sizeGiB: target.sizeGiB } };
    }
    case 'resize-primary': {
      const primary = requirePrimary(volume);
      return { hostId: primary.hostId, type: 'resize-copy', payload: { ...base(volume, primary), sizeGiB: target.sizeGiB } };
    }
    case 'create-filling-copy': {
      const move = moveOf(modification, step.move);
      const copy = requireCopy(volume, move.newCopyId);
      // Built like a mirror (only the replication key reaches it) at the current size, so the chain copies equal sizes.
      return {
        hostId: copy.hostId,
        type: 'create-copy',
        payload: { ...base(volume, copy), role: 'mirror', sizeGiB: volume.sizeGiB, type: target.type, iops: target.iops, ...diskOf(copy) },
      };
    }
    case 'extend-chain': {
      const move = moveOf(modification, step.move);
      const filling = requireCopy(volume, move.newCopyId);
      if (!filling.nbd) throw new Error(`filling copy ${filling.copyId} has no endpoint yet`);
      const mirror = requireMirror(volume);
      return {
        hostId: mirror.hostId,
        type: 'extend-chain',
        payload: { ...base(volume, mirror), target: { hostId: filling.hostId, copyId: filling.copyId, ...filling.nbd } },
      };
    }
    case 'end-chain': {
      const move = moveOf(modification, step.move);
      const mirror = requireMirror(volume);
      // A move of the primary cuts the chain over to the next generation; a move of the mirror only ends it (final sync).
      const nextGeneration = move.role === 'primary' ? { nextGeneration: volume.generation + 1 } : {};
      return { hostId: mirror.hostId, type: 'end-chain', payload: { ...base(volume, mirror), target: { copyId: move.newCopyId }, ...nextGeneration } };
    }
    case 'promote': {
      const primary = requirePrimary(volume);
      const command = promoteCopyCommand(volume, primary);
      return { ...command, payload: { ...command.payload, planned: true, mirror: mirrorEndpoint(requireMirror(volume)) } };
    }
    case 'switch-mirror': {
      const move = moveOf(modification, step.move);
      const primary = requirePrimary(volume);
      const mirror = mirrorEndpoint(requireCopy(volume, move.newCopyId));
      return { hostId: primary.hostId, type: 'resize-copy', payload: { ...base(volume, primary), sizeGiB: volume.sizeGiB, mirror } };
    }
    case 'start-replication':
      return startReplicationCommand(volume, 'none');
    case 'delete-retired-copy': {
      const move = moveOf(modification, step.move);
      const retired = requireCopy(volume, move.replacesCopyId);
      return deleteCopyCommand(volume.volumeId, retired, volume.generation);
    }
    default: {
      const unknown: never = step;
      throw new Error(`unhandled step ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The way back for a modification that ends (fails) while the primary is quiesced and before a
 * cutover made another copy serve: the host command that makes the current primary serve its
 * clients again, mirroring to the mirror the record still counts in sync. It is `resize-copy` of
 * the primary (docs/host-commands.md: it ends a quiesce; at the current size it grows nothing), with
 * `mirror` = that mirror's recorded endpoint: the agent starts the write-blocking mirror (`sync:
 * none`, the quiesce's final sync left the mirror identical) and only then gives clients their
 * export back, so no write is acknowledged on the primary alone. Undefined when nothing is quiesced
 * or the way is forward only. Repeating the command is harmless (a primary no longer quiesced at
 * that size answers at once; a newer generation on the copy refuses it).
 *
 * The window, by the step that did not finish (`stepsDone` points at it):
 * - in place: `quiesce-for-grow`, `resize-mirror` at the current size (the mirror's grow did not
 *   answer; a mirror that did grow refuses a smaller primary, `MirrorTargetSizeMismatch`, and the
 *   primary stays quiesced: safe, a new grow request finishes it), `resize-primary` at the target
 *   size (the mirror answered its grow, and QEMU mirrors only between equal sizes);
 * - a move (primary or mirror): `quiesce-for-cutover` and `end-chain`, at the current size. B's
 *   export in the record is the one of the current generation: after a primary move's `end-chain`
 *   that failed, B still has it (a refused or failed final sync puts it back). Not when `end-chain`
 *   answered (B serves the next generation only) or at `promote`/`switch-mirror` (the new copy may
 *   already serve): from there the way is forward, as before.
 */
export function reServeCommandOf(volume: Volume, modification: Modification): HostCommandRequest | undefined {
  const plan = modification.plan;
  if (!plan || !modification.pastCutover) return undefined;
  const step = stepsOf(plan)[modification.stepsDone];
  if (!step) return undefined;
  const sizeGiB = (() => {
    switch (step.name) {
      case 'quiesce-for-grow':
      case 'quiesce-for-cutover':
        // Not sent (the failure came before it): nothing is quiesced by this step.
        return modification.currentCommand?.step === step.name ? volume.sizeGiB : undefined;
      case 'resize-mirror':
      case 'end-chain':
        return volume.sizeGiB;
      case 'resize-primary':
        return modification.target.sizeGiB;
      default:
        return undefined;
    }
  })();
  if (sizeGiB === undefined) return undefined;
  const primary = primaryOf(volume);
  const mirror = mirrorOf(volume);
  if (!primary || !mirror?.inSync || mirror.inSyncGeneration !== volume.generation || !mirror.nbd) return undefined;
  return { hostId: primary.hostId, type: 'resize-copy', payload: { ...base(volume, primary), sizeGiB, mirror: mirrorEndpoint(mirror) } };
}

/** The volume once a step's result arrived: what the result proves is recorded. */
export function volumeAfterStep(volume: Volume, modification: Modification, step: ModificationStep, result: Readonly<Record<string, unknown>>): Volume {
  switch (step.name) {
    case 'create-filling-copy': {
      const move = moveOf(modification, step.move);
      const nbd = result.nbd as VolumeCopy['nbd'];
      if (!nbd) throw new Error(`create-copy of ${move.newCopyId} answered without an endpoint`);
      return { ...volume, copies: volume.copies.map((copy) => (copy.copyId === move.newCopyId ? { ...copy, nbd } : copy)) };
    }
    case 'end-chain': {
      if (result.inSync !== true) throw new Error(`end-chain on the mirror answered without the new copy in sync: ${JSON.stringify(result)}`);
      const nbd = result.nbd as VolumeCopy['nbd'];
      const mirror = requireMirror(volume);
      return nbd ? { ...volume, copies: volume.copies.map((copy) => (copy.copyId === mirror.copyId ? { ...copy, nbd } : copy)) } : volume;
    }
    case 'promote': {
      // The promoted copy now serves clients on its client export (the volume's id), not the replication export it was filled through.
      const nbd = result.nbd as VolumeCopy['nbd'];
      if (!nbd) throw new Error(`promote-copy answered without the new primary's endpoint: ${JSON.stringify(result)}`);
      const primary = requirePrimary(volume);
      return { ...volume, copies: volume.copies.map((copy) => (copy.copyId === primary.copyId ? { ...copy, nbd } : copy)) };
    }
    case 'start-replication':
    case 'switch-mirror': {
      const mirror = requireMirror(volume);
      return {
        ...volume,
        copies: volume.copies.map((copy) => (copy.copyId === mirror.copyId ? { ...copy, inSync: true, inSyncGeneration: volume.generation } : copy)),
      };
    }
    case 'delete-retired-copy': {
      const move = moveOf(modification, step.move);
      return { ...volume, copies: volume.copies.filter((copy) => copy.copyId !== move.replacesCopyId) };
    }
    default:
      return volume;
  }
}
