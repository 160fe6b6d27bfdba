import type { ReportUploads, ReportRepository } from '../ports';
import { MAX_UPLOAD_URL_SECONDS, REPORT_RETENTION_DAYS, newReportId, objectKeyOf, type ReportOwner } from '../report';
import type { CreateReportRequest } from '../report-requests';

export const REPORT_CONTENT_TYPE = 'application/gzip';

export interface CreateReportDeps {
  readonly reports: ReportRepository;
  readonly uploads: ReportUploads;
  readonly now: () => Date;
}

/**
 * Records a report awaiting its upload and hands out a presigned PUT for its one object key,
 * bound to the content type and the exact length the client declared, valid at most 15 minutes.
 */
export async function createReport(deps: CreateReportDeps, owner: ReportOwner, request: CreateReportRequest) {
  const now = deps.now();
  const reportId = newReportId();
  const objectKey = objectKeyOf(owner, reportId);
  const expiresInSeconds = request.expiresInSeconds ?? MAX_UPLOAD_URL_SECONDS;
  const uploadExpiresAt = new Date(now.getTime() + expiresInSeconds * 1000).toISOString();
  await deps.reports.create({
    reportId,
    owner,
    source: request.source,
    ...(request.hostId ? { hostId: request.hostId } : {}),
    ...(request.description ? { description: request.description } : {}),
    objectKey,
    status: 'awaiting-upload',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    uploadExpiresAt,
    retainUntil: new Date(now.getTime() + REPORT_RETENTION_DAYS * 86_400_000).toISOString(),
  });
  const { url, headers } = await deps.uploads.presignPut(objectKey, {
    contentType: REPORT_CONTENT_TYPE,
    contentLength: request.contentLength,
    expiresInSeconds,
  });
  return { reportId, uploadUrl: url, uploadHeaders: headers, expiresAt: uploadExpiresAt };
}
