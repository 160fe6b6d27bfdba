import { z } from 'zod';
import { InvalidStateError } from '../../core/errors';
import { snapshotCopyCommand } from '../../core/snapshots/snapshot-commands';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { volumeRepository } from '../shared/composition';
import { snapshotRepository } from '../shared/snapshot-composition';
import { taskHandler } from '../shared/task-handler';

const volumes = volumeRepository();
const snapshots = snapshotRepository();

const BeginSnapshotInputSchema = z.object({ snapshotId: SnapshotIdSchema });

/** The snapshot-copy command for the volume's primary as it is now (after a fail-over, the promoted copy), with its parent when it qualifies. */
export const handler = taskHandler(BeginSnapshotInputSchema, async ({ snapshotId }) => {
  const snapshot = await snapshots.get(snapshotId);
  const volume = snapshot && (await volumes.get(snapshot.volumeId));
  if (!snapshot || !volume) throw new InvalidStateError(`snapshot ${snapshotId} or its volume no longer exists`);
  const parent = snapshot.parentSnapshotId ? await snapshots.get(snapshot.parentSnapshotId) : undefined;
  return { command: snapshotCopyCommand(volume, snapshot, parent) };
});
