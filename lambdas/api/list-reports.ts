import { listReports } from '../../core/diagnostics/use-cases/read-reports';
import { now } from '../shared/composition';
import { refuseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { reportOwnerResolver, reportRepository } from '../shared/report-composition';

const reports = reportRepository();
const ownerOf = reportOwnerResolver();

export const handler = httpHandler(async (event) => {
  refuseBody(event);
  refuseQuery(event);
  const { owner } = await ownerOf(event);
  return json(200, await listReports(reports, owner, now()));
});
