import { z } from 'zod';
import { ReadRangesSchema } from '../../core/snapshots/chunk-ranges';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { completeSnapshot, failSnapshot } from '../../core/snapshots/use-cases/finish-snapshot';
import { reasonFrom, WorkflowFailureSchema } from '../../core/workflow-failure';
import { now } from '../shared/composition';
import { snapshotObjects, snapshotRepository } from '../shared/snapshot-composition';
import { taskHandler } from '../shared/task-handler';

const deps = { snapshots: snapshotRepository(), objects: snapshotObjects(), now };

const FinishSnapshotInputSchema = z.object({
  snapshotId: SnapshotIdSchema,
  outcome: z.enum(['uploaded', 'failed']),
  failure: WorkflowFailureSchema.optional(),
  /** The host's answer to snapshot-copy: its `pointAt` is the snapshot's moment; after an incremental read, the parent and the chunks it read. */
  uploaded: z.object({ pointAt: z.iso.datetime().optional(), incrementalFrom: SnapshotIdSchema.optional(), readRanges: ReadRangesSchema.optional() }).optional(),
});

/** Writes the manifest and completes the snapshot, or marks it error with the reason. */
export const handler = taskHandler(FinishSnapshotInputSchema, async ({ snapshotId, outcome, failure, uploaded }) => {
  if (outcome === 'uploaded') {
    const snapshot = await completeSnapshot(deps, snapshotId, uploaded);
    return { snapshotId, status: snapshot.status };
  }
  await failSnapshot(deps, snapshotId, failure ? reasonFrom(failure) : 'the snapshot workflow failed');
  return { snapshotId, status: 'error' };
});
