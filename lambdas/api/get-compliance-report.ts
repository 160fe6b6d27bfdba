import { ComplianceReportIdSchema } from '../../core/audit/audit-requests';
import { describeComplianceReport } from '../../core/audit/use-cases/compliance-reports';
import { complianceReports, operatorOf, reportObjects } from '../shared/audit-composition';
import { now } from '../shared/composition';
import { parsePathParameter, refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';

const deps = { reports: complianceReports(), objects: reportObjects(), now };

export const handler = httpHandler(async (event) => {
  operatorOf(event);
  refuseBody(event);
  refuseQuery(event);
  return json(200, await describeComplianceReport(deps, parsePathParameter(event, 'reportId', ComplianceReportIdSchema)));
});
