/**
 * The figures of a running `start-replication` (the mirror's build, which grows with the
 * volume) or `extend-chain` (a migration's fill, on the mirror): its mirror job's QMP `query-jobs` `current-progress` / `total-progress`. Other
 * commands, and a build whose job has not started, have none: their reports only say the command
 * still runs (progress-reporter.ts).
 */
import type { CopyController } from '../controllers/copy-controller';
import type { ProgressSource } from './progress-reporter';

export function mirrorProgressSource(copies: CopyController): ProgressSource {
  return async (command) => {
    if (command.type !== 'start-replication' && command.type !== 'extend-chain') return undefined;
    const { copyId, volumeId } = (command.payload ?? {}) as { copyId?: unknown; volumeId?: unknown };
    if (typeof copyId !== 'string' || typeof volumeId !== 'string') return undefined;
    try {
      return await copies.require(copyId, volumeId).served?.runtime.mirrorProgress();
    } catch {
      // The copy is gone or not served: no figures; the command's own outcome will say why.
      return undefined;
    }
  };
}
