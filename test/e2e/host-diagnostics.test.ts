import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDbHostCommandQueue } from '../../adapters/dynamodb-host-command-queue';
import { sendHostCommand } from '../../core/use-cases/send-host-command';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type LocalHost } from '../../local/local-fleet';
import { removeStorageBridge } from '../../local/storage-network';
import { deployment, eventually, httpAs, identities } from './support/local-cloud';

jest.setTimeout(300_000);

/**
 * Issue 11 end to end with a real agent: a storage host of the local fleet is sent a
 * `collect-report` command (as an operator's tool would queue it), collects this machine,
 * asks `POST /reports` for an upload URL as its own host principal, PUTs the report through
 * the presigned URL, and the deployed workflow diagnoses it; the host reads the result, a
 * tenant cannot.
 */
const location = `e2e-d${randomUUID().slice(0, 6)}`;
const commands = new DynamoDbHostCommandQueue(deployment.hostCommandsTableName);
const asHost = httpAs(identities.hosts.h1);
const tenant = httpAs(identities.tenants.a);
let host: LocalHost;

interface ReportView {
  readonly status: string;
  readonly reason?: string;
  readonly result?: { readonly matches: readonly { readonly issueId: string }[] };
  readonly manifest?: { readonly collectors: readonly { readonly name: string; readonly status: string }[] };
}

beforeAll(async () => {
  host = await createLocalHost(1, location);
  startAgent(host, identities.hosts.h1);
  await waitForRegistration(host, deployment.hostsTableName);
});

afterAll(async () => {
  await destroyLocalHost(host);
  await removeStorageBridge();
});

test('when a storage host is told to collect a report, its agent uploads it through a presigned URL and the workflow diagnoses it; only the host reads it', async () => {
  // When
  const commandId = await sendHostCommand(commands, { hostId: host.hostId, type: 'collect-report', payload: { since: '1h' } }, new Date());

  // Then the agent answers with the report's id
  const done = await eventually(
    async () => {
      const command = await commands.get(host.hostId, commandId);
      return command && command.status !== 'pending' ? command : undefined;
    },
    120_000,
    'the agent to answer collect-report',
    500,
  );
  expect(done).toMatchObject({ status: 'succeeded' });
  const { reportId, bytes } = done.result as { reportId: string; bytes: number };
  expect(bytes).toBeGreaterThan(0);

  // And the report is diagnosed, with the agent's own state among its sources
  const report = await eventually(
    async () => {
      const view = (await asHost.request('GET', `/reports/${reportId}?view=technician`)).body as ReportView;
      return view.status === 'diagnosed' || view.status === 'failed' ? view : undefined;
    },
    90_000,
    `report ${reportId} to be diagnosed`,
    500,
  );
  expect(report).toMatchObject({ status: 'diagnosed' });
  expect(report.manifest?.collectors).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'agent-state', status: 'ok' })]));
  expect(await tenant.request('GET', `/reports/${reportId}`)).toMatchObject({ status: 404 });
});

test('when a customer runs `blockplane diagnose collect --upload` on an instance, the report is uploaded through the presigned URL and diagnosed for that customer only', async () => {
  // When
  const work = mkdtempSync(join(tmpdir(), 'bp-diag-cli-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/blockplane.ts', 'diagnose', 'collect', '--since', '1h', '--upload', '--out', join(work, 'report.tar.gz')], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: identities.tenants.a.accessKeyId, AWS_SECRET_ACCESS_KEY: identities.tenants.a.secretAccessKey },
    });
    const { reportId } = JSON.parse(stdout) as { reportId: string };

    // Then the customer reads the diagnosis; a host cannot
    const report = await eventually(
      async () => {
        const view = (await tenant.request('GET', `/reports/${reportId}`)).body as ReportView;
        return view.status === 'diagnosed' || view.status === 'failed' ? view : undefined;
      },
      90_000,
      `report ${reportId} to be diagnosed`,
      500,
    );
    expect(report).toMatchObject({ status: 'diagnosed' });
    expect((await asHost.request('GET', `/reports/${reportId}`)).status).toBe(404);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
