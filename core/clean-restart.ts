import type { CopyReport } from './host-requests';
import { isInSyncNow, mirrorOf, primaryOf, type Volume, type VolumeCopy } from './volume';
import { VolumeStatus } from './volume-status';

/** Statuses in which a copy may be resumed: serving with two copies in sync and no workflow of its own running. */
const RESUMABLE_STATUSES: readonly VolumeStatus[] = [VolumeStatus.available, VolumeStatus.inUse];

/**
 * Whether a copy a registering host reports after a clean stop of its agent is served again as
 * it was, instead of being failed over (docs/recovery.md, "Clean restart"). It is, when nothing
 * happened to the volume meanwhile that the copy could have missed:
 * - the report says the agent stopped cleanly, and the copy is held (not served yet);
 * - the record still places this copy on this host, in the reported role, at the volume's
 *   current generation (a promotion meanwhile advanced it: the fencing rules decide, not this);
 * - the volume serves with exactly one primary and one mirror, both in sync at that generation
 *   (a degraded, modifying or impaired volume has a workflow of its own), and the mirror has a
 *   known export for the primary to replicate to again.
 * Returns the record's copy to resume, or why not (the copy is then failed over as before).
 */
export function resumableAfterCleanStop(volume: Volume, hostId: string, report: CopyReport): { copy: VolumeCopy } | { why: string } {
  if (report.stoppedCleanly !== true) return { why: 'its host did not stop cleanly' };
  if (report.state !== 'held') return { why: `it is ${report.state}, not held` };
  const copy = volume.copies.find((candidate) => candidate.copyId === report.copyId && candidate.hostId === hostId);
  if (!copy) return { why: `the volume no longer places it on host ${hostId}` };
  if (copy.role !== report.role) return { why: `it is reported ${report.role} but the volume counts it as ${copy.role}` };
  if (report.generation !== volume.generation) return { why: `it is at generation ${report.generation}, the volume at ${volume.generation}` };
  if (!RESUMABLE_STATUSES.includes(volume.status)) return { why: `the volume is ${volume.status}` };
  const primary = primaryOf(volume);
  const mirror = mirrorOf(volume);
  if (volume.copies.length !== 2 || !primary || !mirror) return { why: 'the volume does not have exactly one primary and one mirror' };
  if (!isInSyncNow(volume, primary) || !isInSyncNow(volume, mirror)) return { why: `its copies are not both in sync at generation ${volume.generation}` };
  if (!mirror.nbd) return { why: 'the mirror has no known export' };
  return { copy };
}
