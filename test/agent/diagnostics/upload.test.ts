/**
 * The upload side of the handshake on the local cloud: `ReportsApi.upload` PUTs a report to a
 * presigned S3 URL (made here with the AWS SDK for the deployment's reports bucket, as
 * `POST /reports` will), and the agent's `collect-report` command collects this host's report
 * and uploads it. Needs the local cloud deployed (`local/cloud.sh deploy`; test/run.sh does it).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomUUID } from 'node:crypto';
import { CommandHandler } from '../../../agent/commands/command-handler';
import type { CopyController } from '../../../agent/controllers/copy-controller';
import type { MirrorController } from '../../../agent/controllers/mirror-controller';
import type { ChainController } from '../../../agent/controllers/chain-controller';
import { ReportController } from '../../../agent/controllers/report-controller';
import { loadDeployment } from '../../../client/deployment';
import { CreatedReport, ReportsApi, ReportUploadError } from '../../../client/reports-api';
import { SignedHttp } from '../../../client/signed-http';
import { unpackReport } from './report-archive';

process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const UPLOAD_HEADERS = { 'Content-Type': 'application/gzip' };
const deployment = loadDeployment();
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! };
const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, region: deployment.region, forcePathStyle: true, credentials });
const reportsApi = new ReportsApi(new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials }));

/** What `POST /reports` will answer: a presigned PUT for one key, 15 minutes. */
async function presignedTarget(key: string, bucket = deployment.reportsBucketName): Promise<CreatedReport> {
  const uploadUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: 'application/gzip' }), { expiresIn: 900 });
  return { reportId: key.split('/')[2], uploadUrl, uploadHeaders: UPLOAD_HEADERS, expiresAt: new Date(Date.now() + 900_000).toISOString() };
}

async function objectBytes(key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: deployment.reportsBucketName, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

function handlerWith(reports: ReportController): CommandHandler {
  return new CommandHandler({ copies: {} as CopyController, mirrors: {} as MirrorController, chains: {} as ChainController, reports });
}

const agentState = () => ({ hostId: 'host-diag-1', agentVersion: '0.1.0', copies: [{ copyId: 'cp-1', state: 'serving', daemonPid: 4242 }] });

describe('report upload through a presigned PUT', () => {
  it('when the report is PUT with the given headers, the bucket holds exactly its bytes', async () => {
    // Given
    const key = `reports/tenant-t/${randomUUID()}/report.tar.gz`;
    const archive = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    // When
    await reportsApi.upload(await presignedTarget(key), archive);
    // Then
    expect((await objectBytes(key)).equals(archive)).toBe(true);
  });

  it('when the URL names a bucket that does not exist, the upload fails with the status', async () => {
    const target = await presignedTarget(`reports/t/${randomUUID()}/report.tar.gz`, `no-such-bucket-${randomUUID().slice(0, 8)}`);
    await expect(reportsApi.upload(target, Buffer.from('x'))).rejects.toMatchObject({ name: 'ReportUploadError', status: 404 });
    await expect(reportsApi.upload(target, Buffer.from('x'))).rejects.toBeInstanceOf(ReportUploadError);
  });
});

describe('the collect-report host command', () => {
  it('when the command brings its report id and upload URL, the agent collects this host and uploads there', async () => {
    // Given
    const reportId = `rep-${randomUUID().slice(0, 12)}`;
    const key = `reports/host-diag-1/${reportId}/report.tar.gz`;
    const target = await presignedTarget(key);
    const handler = handlerWith(new ReportController({ hostId: 'host-diag-1', uploader: reportsApi, agentState }));
    // When
    const outcome = await handler.handle({ commandId: `cmd-${reportId}`, type: 'collect-report', payload: { reportId, since: '1h', uploadUrl: target.uploadUrl, uploadHeaders: target.uploadHeaders } });
    // Then
    expect(outcome).toMatchObject({ status: 'succeeded', result: { reportId, bytes: expect.any(Number), redactions: expect.any(Number) } });
    const report = unpackReport(await objectBytes(key));
    expect(report.manifest).toMatchObject({ source: 'host', hostId: 'host-diag-1' });
    expect(JSON.parse(report.files.get('report/files/agent-state.json')!.toString('utf8'))).toEqual(agentState());
    expect(report.manifest.collectors.find((entry) => entry.name === 'qsd-version')).toMatchObject({ status: 'ok' });
    expect(report.files.get('report/files/qsd-version.txt')!.toString('utf8')).toMatch(/qemu-storage-daemon version \d+\.\d+/);
    expect(report.manifest.collectors.map((entry) => entry.name)).toEqual(expect.arrayContaining(['uname', 'df', 'dmesg', 'journal', 'agent-state', 'qsd-version']));
  }, 60_000);

  it('when the command brings no report id, the agent asks POST /reports for one and uploads to the URL it answers', async () => {
    // Given
    const reportId = `rep-${randomUUID().slice(0, 12)}`;
    const key = `reports/host-diag-1/${reportId}/report.tar.gz`;
    const requests: unknown[] = [];
    const uploader = {
      createReport: async (request: unknown) => {
        requests.push(request);
        return presignedTarget(key);
      },
      upload: (target: CreatedReport, archive: Buffer) => reportsApi.upload(target, archive),
    };
    const handler = handlerWith(new ReportController({ hostId: 'host-diag-1', uploader, agentState }));
    // When
    const outcome = await handler.handle({ commandId: `cmd-${reportId}`, type: 'collect-report', payload: {} });
    // Then
    expect(outcome).toMatchObject({ status: 'succeeded', result: { reportId } });
    expect(requests).toEqual([{ source: 'host', hostId: 'host-diag-1', contentLength: expect.any(Number) }]);
    expect(unpackReport(await objectBytes(key)).manifest.source).toBe('host');
  }, 60_000);

  it('when POST /reports is refused, the command fails with ReportUploadFailed and the reason, and uploads nothing', async () => {
    // Given: the deployed API, asked for an upload larger than a report may be (it answers 400)
    const upload = jest.fn();
    const uploader = { createReport: (request: Parameters<ReportsApi['createReport']>[0]) => reportsApi.createReport({ ...request, contentLength: 17 * 1024 * 1024 }), upload };
    const handler = handlerWith(new ReportController({ hostId: 'host-diag-1', uploader, agentState, collectors: [] }));
    // When
    const outcome = await handler.handle({ commandId: `cmd-${randomUUID()}`, type: 'collect-report', payload: {} });
    // Then
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'ReportUploadFailed', message: expect.stringMatching(/^report \(no id yet\) not uploaded: POST \/reports: HTTP 4\d\d/) } });
    expect(upload).not.toHaveBeenCalled();
  });

  it.each([
    [{ since: 'yesterday' }, 'since: since "yesterday" is not valid'],
    [{ reportId: 'rep-1' }, 'uploadUrl: a reportId comes with the uploadUrl and uploadHeaders of that report'],
    [{ uploadUrl: 'https://example.invalid/x', uploadHeaders: {} }, 'reportId: an uploadUrl comes with the reportId it belongs to'],
    [{ reportId: '../x', uploadUrl: 'https://example.invalid/x', uploadHeaders: {} }, 'reportId:'],
  ])('when the payload is %j, the command is refused as InvalidPayload and nothing is collected', async (payload, reason) => {
    const collect = jest.fn();
    const handler = handlerWith(new ReportController({ hostId: 'host-diag-1', uploader: { createReport: collect, upload: collect }, agentState }));
    const outcome = await handler.handle({ commandId: `cmd-${randomUUID()}`, type: 'collect-report', payload });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'InvalidPayload', message: expect.stringContaining(reason) } });
    expect(collect).not.toHaveBeenCalled();
  });
});
