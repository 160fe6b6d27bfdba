/** The figures of a `create-copy` that fills its copy from a snapshot (chunks written so far), else those of the next source. */
import type { ProgressSource } from '../control-plane/progress-reporter';
import type { SnapshotFiller } from './snapshot-fill';

export function fillOrNextProgress(filler: SnapshotFiller, next: ProgressSource): ProgressSource {
  return async (command) => {
    if (command.type !== 'create-copy') return next(command);
    const { copyId } = (command.payload ?? {}) as { copyId?: unknown };
    return typeof copyId === 'string' ? filler.progressOf(copyId) : undefined;
  };
}
