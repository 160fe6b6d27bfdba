/**
 * The diagnostics upload handshake (docs/diagnostics-collector.md): `POST /reports` (signed,
 * as a host or a tenant, no report id in the request) answers a presigned PUT, and `upload`
 * sends the tar.gz to it with exactly the headers the API gave (plus `Content-Length`, which
 * S3 requires and HTTP framing needs).
 */
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { ApiError } from './blockplane-api';
import type { SignedHttp } from './signed-http';

export interface CreateReportRequest {
  readonly source: 'host' | 'instance' | 'offline';
  readonly hostId?: string;
  readonly description?: string;
  /** The exact size of the tar.gz to PUT: the API signs it into the URL, so S3 refuses any other length. */
  readonly contentLength: number;
}

const createdReportSchema = z.object({
  reportId: z.string().min(1),
  uploadUrl: z.url(),
  uploadHeaders: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});
export type CreatedReport = z.infer<typeof createdReportSchema>;

/** Where to PUT a report: the part of {@link CreatedReport} the upload needs. */
export type UploadTarget = Pick<CreatedReport, 'uploadUrl' | 'uploadHeaders'>;

export class ReportUploadError extends Error {
  constructor(
    readonly status: number | undefined,
    reason: string,
  ) {
    super(`report upload ${status === undefined ? 'failed' : `answered HTTP ${status}`}: ${reason}`);
    this.name = 'ReportUploadError';
  }
}

const DEFAULT_UPLOAD_TIMEOUT_MS = 120_000;
const MAX_ERROR_TEXT = 500;
/** The body goes out in slices of this size, so a caller can show how much has been sent. */
const UPLOAD_SLICE_BYTES = 256 * 1024;

/** Told the bytes handed to the connection so far, after each slice. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

export class ReportsApi {
  constructor(
    readonly http: SignedHttp,
    private readonly uploadTimeoutMs = DEFAULT_UPLOAD_TIMEOUT_MS,
  ) {}

  /** `POST /reports` → 201 {@link CreatedReport}; a non-2xx answer throws {@link ApiError}. */
  async createReport(request: CreateReportRequest): Promise<CreatedReport> {
    const response = await this.http.request('POST', '/reports', request);
    if (response.status < 200 || response.status > 299) throw new ApiError(response);
    const parsed = createdReportSchema.safeParse(response.body);
    if (!parsed.success) throw new ReportUploadError(response.status, `POST /reports answered without a usable upload URL: ${response.text.slice(0, MAX_ERROR_TEXT)}`);
    return parsed.data;
  }

  /**
   * PUTs `archive` to the presigned URL, in slices that wait for the connection to drain, telling
   * `onProgress` after each; anything but a 2xx answer throws {@link ReportUploadError}.
   */
  upload(target: UploadTarget, archive: Buffer, onProgress?: UploadProgress): Promise<void> {
    const url = new URL(target.uploadUrl);
    const headers: Record<string, string> = { ...target.uploadHeaders };
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) headers['Content-Length'] = String(archive.length);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, { method: 'PUT', headers, timeout: this.uploadTimeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status <= 299) resolve();
          else reject(new ReportUploadError(status, Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_TEXT)));
        });
        response.on('error', (error) => reject(new ReportUploadError(undefined, error.message)));
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.uploadTimeoutMs} ms`)));
      request.on('error', (error) => reject(new ReportUploadError(undefined, error.message)));
      writeSlices(request, archive, onProgress);
    });
  }
}

function writeSlices(request: http.ClientRequest, archive: Buffer, onProgress: UploadProgress | undefined): void {
  let sent = 0;
  const next = (): void => {
    while (sent < archive.length) {
      const slice = archive.subarray(sent, sent + UPLOAD_SLICE_BYTES);
      sent += slice.length;
      const flowing = request.write(slice);
      onProgress?.(sent, archive.length);
      if (!flowing) {
        request.once('drain', next);
        return;
      }
    }
    request.end();
  };
  next();
}
