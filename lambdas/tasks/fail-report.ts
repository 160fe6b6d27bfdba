import { z } from 'zod';
import { parseObjectKey } from '../../core/diagnostics/report';
import { reasonFrom, WorkflowFailureSchema } from '../../core/workflow-failure';
import { now } from '../shared/composition';
import { reportRepository } from '../shared/report-composition';
import { taskHandler } from '../shared/task-handler';

const reports = reportRepository();

/**
 * The diagnose-report workflow's catch-all: an unexpected error (not a refused upload, which the
 * diagnose task records itself) ends the report `failed` with the error, never stuck in `processing`.
 */
export const handler = taskHandler(
  z.object({ key: z.string().min(1).max(1024), failure: WorkflowFailureSchema }),
  async ({ key, failure }) => {
    const parsed = parseObjectKey(key);
    if (!parsed) return { recorded: false };
    const reason = `processing failed: ${reasonFrom(failure)}`;
    return { recorded: await reports.recordFailure(parsed.reportId, reason, now()) };
  },
);
