import { ReportIdSchema, ReportViewQuerySchema } from '../../core/diagnostics/report-requests';
import { describeReport, ownReport } from '../../core/diagnostics/use-cases/read-reports';
import { now } from '../shared/composition';
import { parsePathParameter, parseQuery, refuseBody } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { reportOwnerResolver, reportRepository } from '../shared/report-composition';

const reports = reportRepository();
const ownerOf = reportOwnerResolver();

export const handler = httpHandler(async (event) => {
  refuseBody(event);
  const { view } = parseQuery(event, ReportViewQuerySchema);
  const reportId = parsePathParameter(event, 'reportId', ReportIdSchema);
  const { owner } = await ownerOf(event);
  return json(200, describeReport(await ownReport(reports, owner, reportId), now(), view ?? 'user'));
});
