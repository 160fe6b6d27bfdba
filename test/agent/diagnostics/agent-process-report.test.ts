/**
 * The real agent process (as the local fleet launches it) on `collect-report`: it is polled
 * from a stub of the host routes, collects this host with its own state (a served copy with
 * its daemon), and PUTs the report to a presigned URL of the local cloud's reports bucket;
 * without a report id it asks `POST /reports` through its signed host client, and a refusal
 * is answered `ReportUploadFailed`. Needs the local cloud deployed (test/run.sh does it).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDeployment } from '../../../client/deployment';
import { createCopyPayload, killDaemonsUnder, newCommandId, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { LoopDevice } from '../helpers/loop-device';
import { StubControlPlane } from '../helpers/stub-control-plane';
import { unpackReport } from './report-archive';

jest.setTimeout(180_000);

process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

describe('the agent process on collect-report', () => {
  const deployment = loadDeployment();
  const s3 = new S3Client({
    endpoint: process.env.AWS_ENDPOINT_URL,
    region: deployment.region,
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY! },
  });
  const hostId = 'host-diag-proc';
  const volumeId = newVolumeId();
  const keys = volumeKeys(volumeId);
  const create = createCopyPayload(volumeId, keys);
  const ports = { first: 33000 + Math.floor(Math.random() * 1000), count: 4 };
  let dir: string;
  let dataDir: string;
  let device: LoopDevice;
  let stub: StubControlPlane;
  let agent: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-diag-proc-'));
    dataDir = path.join(dir, 'data');
    device = await LoopDevice.create(2 * 1024 ** 3);
    stub = await StubControlPlane.start(dir);
    agent = spawn(
      process.execPath,
      [
        ...(process.env.BP_AGENT_BUNDLE ? [process.env.BP_AGENT_BUNDLE] : ['--import', 'tsx', 'bin/agent.ts']),
        '--host-id', hostId, '--location', 'loc-test', '--address', '127.0.0.1', '--data-dir', dataDir,
        '--device', `${device.device}:ssd:1000`,
        '--nbd-ports', `${ports.first}-${ports.first + ports.count - 1}`,
        '--heartbeat-interval-ms', '500', '--poll-wait-seconds', '1',
      ],
      { env: stub.agentEnv(), stdio: ['ignore', 'ignore', process.env.BP_TEST_LOG ? 'inherit' : 'ignore'] },
    );
    exited = new Promise((resolve) => agent!.once('exit', resolve));
    await stub.waitFor(() => stub.registrations[0], 60_000, 'the registration');
    const created = await command('create-copy', create);
    expect(created).toMatchObject({ status: 'succeeded' });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGTERM');
    await exited;
    await killDaemonsUnder(dataDir);
    await stub?.stop();
    await device?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function command(type: string, payload: Record<string, unknown>) {
    const commandId = newCommandId();
    stub.enqueue({ commandId, type, payload });
    return stub.waitFor(() => stub.resultsOf(commandId)[0]?.body, 90_000, `the result of ${type}`);
  }

  it('when the command brings a presigned URL, the report lands in the bucket with the agent state, the daemon and qsd version, and no key', async () => {
    // Given
    const reportId = `rep-${randomUUID().slice(0, 12)}`;
    const key = `reports/${hostId}/${reportId}/report.tar.gz`;
    const uploadUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: deployment.reportsBucketName, Key: key, ContentType: 'application/gzip' }), { expiresIn: 900 });
    // When
    const result = await command('collect-report', { reportId, since: '1h', uploadUrl, uploadHeaders: { 'Content-Type': 'application/gzip' } });
    // Then
    expect(result).toMatchObject({ status: 'succeeded', result: { reportId, bytes: expect.any(Number) } });
    const object = await s3.send(new GetObjectCommand({ Bucket: deployment.reportsBucketName, Key: key }));
    const report = unpackReport(Buffer.from(await object.Body!.transformToByteArray()));
    expect(report.manifest).toMatchObject({ formatVersion: 1, source: 'host', hostId });
    const state = JSON.parse(report.files.get('report/files/agent-state.json')!.toString('utf8'));
    expect(state).toMatchObject({ hostId, agentVersion: '0.1.0', agentPid: agent!.pid });
    expect(state.copies).toEqual([expect.objectContaining({ volumeId, copyId: create.copyId, role: 'primary', state: 'created', daemonPid: expect.any(Number) })]);
    expect(report.files.get('report/files/qsd-version.txt')!.toString('utf8')).toMatch(/^qemu-storage-daemon version/);
    expect(report.everything).not.toContain(keys.clientKey.keyHex);
    expect(report.everything).not.toContain(keys.replicationKey.keyHex);
  });

  it('when the command brings no report id and POST /reports is refused, the answer is ReportUploadFailed with the status', async () => {
    // When: the stub has no /reports route (404), as a control plane without diagnostics
    const result = await command('collect-report', {});
    // Then
    expect(result).toEqual({ status: 'failed', error: { code: 'ReportUploadFailed', message: expect.stringContaining('POST /reports: HTTP 404') } });
  });
});
