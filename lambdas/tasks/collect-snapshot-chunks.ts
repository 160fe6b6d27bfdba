import { z } from 'zod';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { collectChunks } from '../../core/snapshots/use-cases/collect-chunks';
import { now } from '../shared/composition';
import { snapshotObjects, snapshotRepository } from '../shared/snapshot-composition';
import { taskHandler } from '../shared/task-handler';

const deps = { snapshots: snapshotRepository(), objects: snapshotObjects(), now };

/** Removes the chunks only a deleted snapshot named, then its manifest (InvalidStateError while a sibling is pending: retried). */
export const handler = taskHandler(z.object({ snapshotId: SnapshotIdSchema }), ({ snapshotId }) => collectChunks(deps, snapshotId));
