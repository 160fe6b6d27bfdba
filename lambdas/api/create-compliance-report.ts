import { ComplianceReportRequestSchema } from '../../core/audit/report-request';
import { requestComplianceReport } from '../../core/audit/use-cases/compliance-reports';
import { complianceReports, operatorOf, reportWorkflows } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { reports: complianceReports(), workflows: reportWorkflows() };

export const handler = httpHandler(async (event) => {
  const requestedBy = operatorOf(event);
  refuseQuery(event);
  return json(202, await requestComplianceReport(deps, parseBody(event, ComplianceReportRequestSchema), requestedBy, now()));
});
