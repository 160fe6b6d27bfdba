import { z } from 'zod';
import { parseObjectKey } from '../../core/diagnostics/report';
import { now } from '../shared/composition';
import { reportRepository } from '../shared/report-composition';
import { taskHandler } from '../shared/task-handler';

const reports = reportRepository();

/**
 * The diagnose-report workflow's catch-all: an unexpected error (not a refused upload, which the
 * diagnose task records itself) ends the report `failed` with the error, never stuck in `processing`.
 */
export const handler = taskHandler(
  z.object({ key: z.string().min(1).max(1024), failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }) }),
  async ({ key, failure }) => {
    const parsed = parseObjectKey(key);
    if (!parsed) return { recorded: false };
    const reason = `processing failed (${failure.Error ?? 'error'}): ${(failure.Cause ?? '').slice(0, 500)}`;
    return { recorded: await reports.recordFailure(parsed.reportId, reason, now()) };
  },
);
