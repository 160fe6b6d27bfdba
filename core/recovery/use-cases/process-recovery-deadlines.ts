import { deleteCopyCommand } from '../../copy-commands';
import { HostStatus } from '../../host';
import { isInSyncNow, type Volume } from '../../volume';
import { retryOnVersionConflict } from '../../version-conflict-retry';
import { sendHostCommand } from '../../use-cases/send-host-command';
import { SnapshotsUnavailableError } from '../errors';
import { applyRecoveryEvent, CopyDisposition, FINAL_RECOVERY_STATES, OPEN_RECOVERY_STATES, toSave, type VolumeRecovery } from '../volume-recovery';
import { decideRecovery } from './decide-recovery';
import type { RecoveryDecisionDeps } from './recovery-deps';

/** Recoveries one pass looks at, at most. */
export const DEADLINE_BATCH = 100;

export interface DeadlinePass {
  readonly deletionsStarted: number;
  readonly deletionsPostponed: number;
  readonly archived: number;
  readonly archiveBlocked: number;
}

/**
 * A quarantined copy may go only when nothing can need it: its recovery was decided, or the
 * volume has a live copy in sync at its generation on an active host that no recovery holds, or
 * the volume is gone. Otherwise it waits another quarantine period (it may be the last copy left).
 */
async function mayDelete(deps: RecoveryDecisionDeps, recovery: VolumeRecovery, volume: Volume | undefined): Promise<boolean> {
  if (!volume || FINAL_RECOVERY_STATES.includes(recovery.state)) return true;
  const held = recovery.copies.filter((c) => c.disposition === CopyDisposition.readOnly || c.disposition === CopyDisposition.quarantined);
  for (const copy of volume.copies) {
    if (!isInSyncNow(volume, copy) || held.some((h) => h.copyId === copy.copyId && h.hostId === copy.hostId)) continue;
    if ((await deps.hosts.get(copy.hostId))?.status === HostStatus.active) return true;
  }
  return false;
}

/**
 * The scheduled pass over recovery deadlines: quarantined copies whose period ended are deleted
 * (when nothing can need them), and open recoveries nobody decided in time are archived. While
 * snapshots are unavailable the archive is refused and the volume stays impaired (a notice says so
 * once); nothing is deleted without its snapshot.
 */
export async function processRecoveryDeadlines(deps: RecoveryDecisionDeps): Promise<DeadlinePass> {
  const now = deps.now();
  const pass = { deletionsStarted: 0, deletionsPostponed: 0, archived: 0, archiveBlocked: 0 };
  for (const due of await deps.recoveries.listDue(now, DEADLINE_BATCH)) {
    if (OPEN_RECOVERY_STATES.includes(due.state) && due.autoArchiveAt && Date.parse(due.autoArchiveAt) <= now.getTime()) {
      try {
        await decideRecovery(deps, due.tenantId, due.volumeId, { action: 'archive' }, 'automatic');
        pass.archived += 1;
      } catch (error) {
        if (!(error instanceof SnapshotsUnavailableError)) throw error;
        pass.archiveBlocked += 1;
        await blockArchive(deps, due, error.message, now);
      }
      continue;
    }
    await retryOnVersionConflict(async () => {
      const read = (await deps.recoveries.get(due.volumeId)) ?? due;
      let recovery = read;
      const volume = await deps.volumes.get(recovery.volumeId);
      const expired = recovery.copies.filter((c) => c.disposition === CopyDisposition.quarantined && c.deleteAfter && Date.parse(c.deleteAfter) <= now.getTime());
      if (expired.length === 0) return;
      if (!(await mayDelete(deps, recovery, volume))) {
        const later = new Date(now.getTime() + deps.policy.quarantineSeconds * 1000).toISOString();
        await deps.recoveries.save(toSave(read, { ...recovery, copies: recovery.copies.map((c) => (expired.includes(c) ? { ...c, deleteAfter: later } : c)), updatedAt: now.toISOString() }));
        pass.deletionsPostponed += expired.length;
        return;
      }
      for (const copy of expired) recovery = applyRecoveryEvent(recovery, { type: 'copy-deleting', copyId: copy.copyId, hostId: copy.hostId }, now);
      await deps.recoveries.save(toSave(read, recovery));
      for (const copy of expired) {
        await sendHostCommand(deps.commands, deleteCopyCommand(recovery.volumeId, copy, copy.generation), now);
        await deps.events.append({
          volumeId: recovery.volumeId, tenantId: recovery.tenantId, type: 'copy-deletion-started', at: now.toISOString(),
          message: `quarantined copy ${copy.copyId} on host ${copy.hostId} is deleted (${copy.classification.rule})`, details: { copyId: copy.copyId, hostId: copy.hostId },
        });
        pass.deletionsStarted += 1;
      }
    });
  }
  return pass;
}

/** The archive could not run: the notice is given once, and the deadline is cleared so the pass does not retry every minute. */
async function blockArchive(deps: RecoveryDecisionDeps, recovery: VolumeRecovery, why: string, now: Date): Promise<void> {
  await retryOnVersionConflict(async () => {
    const current = (await deps.recoveries.get(recovery.volumeId)) ?? recovery;
    await deps.recoveries.save(toSave(current, { ...current, autoArchiveAt: undefined, updatedAt: now.toISOString() }));
  });
  await deps.events.append({
    volumeId: recovery.volumeId, tenantId: recovery.tenantId, type: 'auto-archive-blocked', at: now.toISOString(),
    message: `nobody decided by ${recovery.autoArchiveAt}; the automatic archive needs a snapshot first and was refused (${why}); the volume stays impaired`,
    details: { autoArchiveAt: recovery.autoArchiveAt ?? null },
  });
}
