import { z } from 'zod';
import { ComplianceReportIdSchema } from '../../core/audit/audit-requests';
import { renderComplianceReport } from '../../core/audit/use-cases/compliance-reports';
import { assertionStore, complianceReports, reportObjects, specStore, waiverStore } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { taskHandler } from '../shared/task-handler';

const deps = { specs: specStore(), assertions: assertionStore(), waivers: waiverStore(), reports: complianceReports(), objects: reportObjects(), now };

/** render-compliance-report's task: evaluates the window, renders the format and stores the object. */
export const handler = taskHandler(z.object({ reportId: ComplianceReportIdSchema }), async ({ reportId }) => renderComplianceReport(deps, reportId));
