import { z } from 'zod';
import { ComplianceReportIdSchema } from '../../core/audit/audit-requests';
import { reasonFrom, WorkflowFailureSchema } from '../../core/workflow-failure';
import { complianceReports } from '../shared/audit-composition';
import { taskHandler } from '../shared/task-handler';

const reports = complianceReports();

/** render-compliance-report's catch: records the error as the report's failure, so no report stays rendering. */
export const handler = taskHandler(
  z.object({ reportId: ComplianceReportIdSchema, failure: WorkflowFailureSchema }),
  async ({ reportId, failure }) => reports.markFailed(reportId, reasonFrom(failure)),
);
