import { resumableAfterCleanStop } from '../clean-restart';
import type { CopyReport } from '../host-requests';
import type { VolumeRepository } from '../ports';
import { isInSyncNow, mirrorOf, type Volume, type VolumeCopy } from '../volume';
import type { CopyLossReport } from './detect-lost-copies';

/** A copy a restarted host holds that is served again as it was (core/clean-restart.ts). */
export interface CopyResume {
  readonly volume: Volume;
  readonly copy: VolumeCopy;
}

/**
 * The copies a host's report says are lost: a copy whose daemon died, the in-sync mirror of a
 * primary that reports its replica stale, and (after a restart) every copy the host holds
 * that its volume still counts on, because nothing proves it saw every acknowledged write,
 * unless its agent stopped cleanly and nothing happened to the volume meanwhile: that copy is
 * resumed instead (core/clean-restart.ts).
 */
export async function copyLossesIn(
  volumes: VolumeRepository,
  hostId: string,
  reports: readonly CopyReport[],
  afterRestart: boolean,
): Promise<{ losses: CopyLossReport[]; strays: CopyReport[]; resumes: CopyResume[] }> {
  const losses: CopyLossReport[] = [];
  const strays: CopyReport[] = [];
  const resumes: CopyResume[] = [];
  for (const report of reports) {
    const volume = await volumes.get(report.volumeId);
    const current = volume?.copies.find((copy) => copy.copyId === report.copyId && copy.hostId === hostId);
    if (!volume || !current) {
      if (afterRestart) strays.push(report);
      continue;
    }
    const detail = report.detail ? `: ${report.detail}` : '';
    if (afterRestart) {
      const resumable = resumableAfterCleanStop(volume, hostId, report);
      if ('copy' in resumable) {
        resumes.push({ volume, copy: resumable.copy });
        continue;
      }
      const notResumed = report.stoppedCleanly ? ` (stopped cleanly, but not resumed: ${resumable.why})` : '';
      losses.push({ volumeId: volume.volumeId, copyId: current.copyId, reason: `host ${hostId} restarted; its copy is not trusted${notResumed}${detail}`, volumeVersion: volume.version });
    } else if (report.state === 'daemon-died') {
      losses.push({ volumeId: volume.volumeId, copyId: current.copyId, reason: `the storage daemon of the copy on host ${hostId} died${detail}`, volumeVersion: volume.version });
    } else if (report.state === 'replica-stale' && current.role === 'primary') {
      // Only an in-sync mirror is lost by this: a mirror still being built (after an earlier
      // loss) is the start-replication command's to report, not an old job's stale report.
      const mirror = mirrorOf(volume);
      if (mirror && isInSyncNow(volume, mirror)) {
        losses.push({
          volumeId: volume.volumeId,
          copyId: mirror.copyId,
          reason: `the primary on host ${hostId} lost its mirror on host ${mirror.hostId}${detail}`,
          volumeVersion: volume.version,
        });
      }
    }
  }
  return { losses, strays, resumes };
}
