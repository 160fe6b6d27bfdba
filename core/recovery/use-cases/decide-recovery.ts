import { z } from 'zod';
import { deleteCopyCommand } from '../../copy-commands';
import { COPY_ID_PATTERN } from '../../ids';
import { retryOnVersionConflict } from '../../version-conflict-retry';
import { transition } from '../../volume-transition';
import { VolumeStatus } from '../../volume-status';
import { sendHostCommand } from '../../use-cases/send-host-command';
import { Verdict } from '../classify-copy';
import { RecoveryStateError } from '../errors';
import { applyRecoveryEvent, CopyDisposition, OPEN_RECOVERY_STATES, RECOVERY_ACTIONS, RecoveryState, toSave, type RecoveryDecision, type VolumeRecovery } from '../volume-recovery';
import { getRecovery } from './describe-recovery';
import { enableRecoveredCopy } from './enable-recovered-copy';
import type { RecoveryDecisionDeps } from './recovery-deps';

export const RecoveryDecisionRequestSchema = z.strictObject({
  action: z.enum(RECOVERY_ACTIONS),
  /** Which copy to enable: required when the recovery is ambiguous (two diverged copies), else the authoritative one. */
  copyId: z.string().regex(COPY_ID_PATTERN, 'copy ids look like cpy-0123456789ab').optional(),
});
export type RecoveryDecisionRequest = z.infer<typeof RecoveryDecisionRequestSchema>;

/** The copy `enable` serves: the one named, or the only authoritative copy held read-only. */
function copyToEnable(recovery: VolumeRecovery, copyId: string | undefined): string {
  const held = recovery.copies.filter((copy) => copy.disposition === CopyDisposition.readOnly && copy.classification.verdict !== Verdict.nonAuthoritative);
  if (copyId !== undefined) {
    if (!held.some((copy) => copy.copyId === copyId)) {
      throw new RecoveryStateError(`copy ${copyId} is not a recovered copy that can be enabled; choose one of ${held.map((c) => c.copyId).join(', ') || 'none'}`, { copyId });
    }
    return copyId;
  }
  if (recovery.state === RecoveryState.ambiguous) {
    throw new RecoveryStateError(`the recovered copies diverged; name the copy to enable (copyId: one of ${held.map((c) => c.copyId).join(', ')})`, { copies: held.map((c) => c.copyId) });
  }
  const only = held.find((copy) => copy.classification.verdict === Verdict.authoritative);
  if (!only) throw new RecoveryStateError('no recovered copy can be enabled', { state: recovery.state });
  return only.copyId;
}

/**
 * `POST /volumes/{id}/recovery-decision`: the owner's decision on an open recovery. `enable`
 * serves the chosen copy again (a new mirror is built; paused I/O resumes); `snapshot` asks the
 * snapshot step (409 SnapshotsUnavailable until it is wired) and the volume stays impaired;
 * `archive` is a snapshot, then delete (409 while snapshots are unavailable: nothing is deleted
 * without its snapshot); `delete` deletes the volume and every returning copy.
 */
export async function decideRecovery(deps: RecoveryDecisionDeps, tenantId: string, volumeId: string, request: RecoveryDecisionRequest, by: RecoveryDecision['by'] = 'owner'): Promise<VolumeRecovery> {
  return retryOnVersionConflict(async () => {
    const recovery = await getRecovery(deps.recoveries, tenantId, volumeId);
    if (!OPEN_RECOVERY_STATES.includes(recovery.state)) {
      throw new RecoveryStateError(`the recovery of volume ${volumeId} is ${recovery.state}; there is nothing left to decide`, { state: recovery.state });
    }
    const now = deps.now();
    const at = now.toISOString();
    const volume = await deps.volumes.get(volumeId);
    if (!volume) throw new RecoveryStateError(`volume ${volumeId} no longer exists`, { volumeId });
    switch (request.action) {
      case 'enable': {
        const copyId = copyToEnable(recovery, request.copyId);
        if (!volume.copies.some((copy) => copy.copyId === copyId)) throw new RecoveryStateError(`copy ${copyId} is no longer a copy of volume ${volumeId}`, { copyId });
        const why = by === 'owner' ? 'the owner enabled it' : 'enabled automatically';
        const next = applyRecoveryEvent(recovery, { type: 'enabled', copyId, decision: { action: 'enable', by, at, copyId, why } }, now);
        await deps.recoveries.save(toSave(recovery, next));
        await enableRecoveredCopy(deps, volume, copyId, why, now);
        await notice(deps, next, `recovery decided: copy ${copyId} enabled (${why})`);
        return next;
      }
      case 'snapshot':
        await deps.snapshots.requestSnapshot(volumeId, `recovery: ${by} asked for a snapshot of the recovered copy`);
        await notice(deps, recovery, `recovery: snapshot requested by ${by}`);
        return recovery;
      case 'archive':
        // Nothing is deleted before its snapshot exists; the snapshot step refuses until it is wired.
        await deps.snapshots.requestSnapshot(volumeId, `recovery: ${by} archived the volume (snapshot, then delete)`);
        return deleteAll(deps, recovery, 'archive', by, now);
      case 'delete':
        return deleteAll(deps, recovery, 'delete', by, now);
      default: {
        const unknown: never = request.action;
        throw new Error(`unhandled recovery action ${String(unknown)}`);
      }
    }
  });
}

async function deleteAll(deps: RecoveryDecisionDeps, recovery: VolumeRecovery, action: 'archive' | 'delete', by: RecoveryDecision['by'], now: Date): Promise<VolumeRecovery> {
  const volume = await deps.volumes.get(recovery.volumeId);
  const next = applyRecoveryEvent(recovery, { type: 'deleted', decision: { action, by, at: now.toISOString(), why: by === 'owner' ? `the owner chose ${action}` : 'nobody decided in time' } }, now);
  await deps.recoveries.save(toSave(recovery, next));
  for (const copy of recovery.copies.filter((c) => c.disposition !== CopyDisposition.deleting)) {
    await sendHostCommand(deps.commands, deleteCopyCommand(recovery.volumeId, copy, copy.generation), now);
  }
  if (volume && volume.status === VolumeStatus.impaired) {
    const deleting = transition(volume, { type: 'delete-requested' }, now);
    await deps.volumes.save(deleting);
    await deps.volumeWorkflows.startDelete(volume.volumeId, deleting.version, volume.copies);
  }
  await notice(deps, next, `recovery decided: ${action} by ${by}; the volume and its returning copies are deleted`);
  return next;
}

async function notice(deps: RecoveryDecisionDeps, recovery: VolumeRecovery, message: string): Promise<void> {
  await deps.events.append({
    volumeId: recovery.volumeId, tenantId: recovery.tenantId, type: 'recovery-decided', at: deps.now().toISOString(), message,
    details: { state: recovery.state, decision: recovery.decisions[recovery.decisions.length - 1] ?? null },
  });
}
