import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../../../client/blockplane-api';
import { ReportsApi, ReportUploadError } from '../../../client/reports-api';
import { SignedHttp } from '../../../client/signed-http';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('ReportsApi', () => {
  let server: http.Server;
  let baseUrl: string;
  let answer: { status: number; body: string };
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  const api = () => new ReportsApi(new SignedHttp({ baseUrl, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } }));
  const created = { reportId: 'rep-1', uploadUrl: 'http://127.0.0.1:1/put', uploadHeaders: { 'Content-Type': 'application/gzip' }, expiresAt: '2026-12-01T00:15:00Z' };

  it('when POST /reports answers 201, it sends the request signed and returns the upload target', async () => {
    answer = { status: 201, body: JSON.stringify(created) };
    const result = await api().createReport({ source: 'instance', description: 'disk full?', contentLength: 2048 });
    expect(result).toEqual(created);
    expect(seen).toEqual([expect.objectContaining({ method: 'POST', url: '/reports', body: JSON.stringify({ source: 'instance', description: 'disk full?', contentLength: 2048 }) })]);
    expect(seen[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
  });

  it('when POST /reports answers 4xx, it throws ApiError with the code', async () => {
    answer = { status: 400, body: JSON.stringify({ code: 'InvalidRequest', message: 'source must be one of host, instance, offline' }) };
    await expect(api().createReport({ source: 'instance', contentLength: 2048 })).rejects.toThrow(ApiError);
  });

  it('when POST /reports answers 201 without an upload URL, it throws ReportUploadError', async () => {
    answer = { status: 201, body: JSON.stringify({ reportId: 'rep-1' }) };
    await expect(api().createReport({ source: 'instance', contentLength: 2048 })).rejects.toBeInstanceOf(ReportUploadError);
  });

  it('when uploading, it PUTs the bytes with exactly the given headers and a Content-Length', async () => {
    answer = { status: 200, body: '' };
    await api().upload({ uploadUrl: `${baseUrl}/bucket/key?X-Amz-Signature=abc`, uploadHeaders: { 'Content-Type': 'application/gzip', 'x-amz-checksum-sha256': 'c2hh' } }, Buffer.from('archive'));
    expect(seen).toEqual([expect.objectContaining({ method: 'PUT', url: '/bucket/key?X-Amz-Signature=abc', body: 'archive' })]);
    expect(seen[0].headers).toMatchObject({ 'content-type': 'application/gzip', 'x-amz-checksum-sha256': 'c2hh', 'content-length': '7' });
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].headers['transfer-encoding']).toBeUndefined();
  });

  it('when uploading a body of several slices, it sends every byte once and tells the progress up to the total', async () => {
    answer = { status: 200, body: '' };
    const archive = Buffer.alloc(600 * 1024 + 7, 0x61);
    const told: number[] = [];
    await api().upload({ uploadUrl: `${baseUrl}/k`, uploadHeaders: {} }, archive, (sent, total) => {
      expect(total).toBe(archive.length);
      told.push(sent);
    });
    expect(seen[0].body).toBe(archive.toString('utf8'));
    expect(seen[0].headers['content-length']).toBe(String(archive.length));
    expect(told.length).toBeGreaterThan(1);
    expect(told).toEqual([...told].sort((a, b) => a - b));
    expect(told.at(-1)).toBe(archive.length);
  });

  it('when the PUT is refused, it throws ReportUploadError with the status and the text', async () => {
    answer = { status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' };
    await expect(api().upload({ uploadUrl: `${baseUrl}/k`, uploadHeaders: {} }, Buffer.from('x'))).rejects.toMatchObject({ status: 403, message: expect.stringContaining('Request has expired') });
  });
});
