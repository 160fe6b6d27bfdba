import { ForbiddenError } from '../../core/errors';
import { CreateReportRequestSchema } from '../../core/diagnostics/report-requests';
import { createReport } from '../../core/diagnostics/use-cases/create-report';
import { now } from '../shared/composition';
import { parseBody, refuseQuery } from '../shared/http-request';
import { httpHandler } from '../shared/http-handler';
import { json } from '../shared/http-response';
import { reportOwnerResolver, reportRepository, reportUploads } from '../shared/report-composition';

const deps = { reports: reportRepository(), uploads: reportUploads(), now };
const ownerOf = reportOwnerResolver();

export const handler = httpHandler(async (event) => {
  refuseQuery(event);
  const request = parseBody(event, CreateReportRequestSchema);
  const caller = await ownerOf(event);
  if (caller.hostId && request.hostId && request.hostId !== caller.hostId) {
    throw new ForbiddenError(`a host may send reports only as itself (${caller.hostId})`, { hostId: request.hostId });
  }
  const hostId = caller.hostId ?? request.hostId;
  return json(201, await createReport(deps, caller.owner, { ...request, ...(hostId ? { hostId } : {}) }));
});
