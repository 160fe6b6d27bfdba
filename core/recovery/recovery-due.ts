import { CopyDisposition, OPEN_RECOVERY_STATES, type VolumeRecovery } from './volume-recovery';

/** The recovery's next deadline: the earliest quarantined copy's deletion or the auto-archive; none when nothing waits. */
export function dueAtOf(recovery: VolumeRecovery): string | undefined {
  const deadlines = recovery.copies.filter((copy) => copy.disposition === CopyDisposition.quarantined && copy.deleteAfter).map((copy) => copy.deleteAfter as string);
  if (OPEN_RECOVERY_STATES.includes(recovery.state) && recovery.autoArchiveAt) deadlines.push(recovery.autoArchiveAt);
  return deadlines.sort()[0];
}
