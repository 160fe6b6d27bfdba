/** The figures of a running `snapshot-copy` (bytes of the view read so far), else those of the next source (the mirror's). */
import type { ProgressSource } from '../control-plane/progress-reporter';
import type { SnapshotController } from './snapshot-controller';

export function snapshotOrMirrorProgress(snapshots: SnapshotController, next: ProgressSource): ProgressSource {
  return async (command) => {
    if (command.type !== 'snapshot-copy') return next(command);
    const { snapshotId } = (command.payload ?? {}) as { snapshotId?: unknown };
    return typeof snapshotId === 'string' ? snapshots.progressOf(snapshotId) : undefined;
  };
}
