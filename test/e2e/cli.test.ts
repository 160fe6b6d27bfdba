import { main } from '../../cli/main';
import { createOperatorIdentity, type Identity } from '../../local/identities';
import { modificationHosts } from '../statemachines/support/modifications';
import { freshLocation, stopHosts } from '../statemachines/support/scenario';
import { identities } from './support/local-cloud';

/**
 * Every CLI command against the deployed local cloud (scripted hosts build the volumes), run
 * in-process as a user would type it: results on stdout, exit codes as cli/errors.ts says, bad
 * input refused with 2 before anything is sent. attach/detach run in test/agent/attach-bridge.test.ts
 * and test/e2e/fleet-script.test.ts, diagnose collect in test/e2e/host-diagnostics.test.ts.
 */
jest.setTimeout(240_000);
afterAll(() => stopHosts());

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(identity: Identity, ...args: string[]): Promise<Run> {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  const out: string[] = [];
  const err: string[] = [];
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  process.env.AWS_ACCESS_KEY_ID = identity.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = identity.secretAccessKey;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
}

async function json<T>(identity: Identity, ...args: string[]): Promise<T> {
  const run = await cli(identity, ...args);
  if (run.code !== 0) throw new Error(`blockplane ${args.join(' ')} ended with ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

const operator = (): Promise<Identity> => createOperatorIdentity('operator-cli-e2e');

const tenant = identities.tenants.a;

describe('the CLI against the local cloud', () => {
  const location = freshLocation();
  let volumeId: string;

  beforeAll(async () => {
    await modificationHosts(location);
  });

  test('bad input ends with 2 and sends nothing; an unknown command or option too', async () => {
    const before = await json<{ volumes: unknown[] }>(tenant, 'volumes', 'list', '--location', location);
    const runs = [
      await cli(tenant, 'volumes', 'create', '--size-gib', '0', '--type', 'ssd', '--location', location),
      await cli(tenant, 'volumes', 'create', '--size-gib', '10', '--type', 'nvme', '--location', location),
      await cli(tenant, 'volumes', 'create', '--size-gib', '10', '--type', 'ssd', '--location', location, '--iops', '99'),
      await cli(tenant, 'volumes', 'create', '--type', 'ssd', '--location', location),
      await cli(tenant, 'volumes', 'get', 'vol-nope'),
      await cli(tenant, 'volumes', 'frobnicate'),
      await cli(tenant, 'volumes', 'list', '--colour', 'red'),
    ];
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(runs[0]!.stderr).toMatch(/--size-gib: /);
    expect(runs[3]!.stderr).toMatch(/--size-gib is required/);
    expect(await json<{ volumes: unknown[] }>(tenant, 'volumes', 'list', '--location', location)).toEqual(before);
  });

  test('volumes create --wait, list (json and table), get, set-policy, report-utilization', async () => {
    const volume = await json<{ volumeId: string; status: string }>(tenant, 'volumes', 'create', '--size-gib', '10', '--type', 'ssd', '--location', location, '--wait');
    expect(volume.status).toBe('available');
    volumeId = volume.volumeId;

    const listed = await json<{ volumes: { volumeId: string }[] }>(tenant, 'volumes', 'list', '--location', location);
    expect(listed.volumes.map((v) => v.volumeId)).toEqual([volumeId]);
    const tableRun = await cli(tenant, '--output', 'table', 'volumes', 'list', '--location', location);
    expect(tableRun.stdout.split('\n')[0]).toMatch(/^volumeId\s+sizeGiB\s+type/);
    expect(tableRun.stdout).toContain(volumeId);
    expect(await json(tenant, 'volumes', 'get', volumeId)).toMatchObject({ volumeId, sizeGiB: 10, location });

    const policy = await json(tenant, 'volumes', 'set-policy', volumeId, '--auto-grow', '{"maxUtilizationPercent":80,"stepPercent":50,"maxSizeGiB":20}');
    expect(policy).toMatchObject({ volumeId, policy: { autoGrow: { maxUtilizationPercent: 80, stepPercent: 50, maxSizeGiB: 20 } } });
    expect(await json(tenant, 'volumes', 'report-utilization', volumeId, '--used-gib', '2')).toMatchObject({ volumeId, utilization: { usedGiB: 2, percent: 20 } });
  });

  test('modifications create --dry-run, create --wait, list, get; cancel after the end is 409 (exit 1)', async () => {
    const plan = await json<{ dryRun: boolean }>(tenant, 'modifications', 'create', volumeId, '--iops', '4000', '--dry-run');
    expect(plan.dryRun).toBe(true);
    const done = await json<{ modificationId: string; status: string }>(tenant, 'modifications', 'create', volumeId, '--iops', '4000', '--wait');
    expect(done.status).toBe('completed');
    const listed = await json<{ modifications: { modificationId: string }[] }>(tenant, 'modifications', 'list', volumeId);
    expect(listed.modifications.map((m) => m.modificationId)).toContain(done.modificationId);
    expect(await json(tenant, 'modifications', 'get', volumeId, done.modificationId)).toMatchObject({ status: 'completed', target: { iops: 4000 } });
    const cancel = await cli(tenant, 'modifications', 'cancel', volumeId, done.modificationId);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/HTTP 409/);
  });

  test('attachments get answers where an attachment connects; another tenant gets 404 (exit 1)', async () => {
    const { SignedHttp } = await import('../../client/signed-http');
    const { deployment } = await import('./support/local-cloud');
    const http = new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: tenant.accessKeyId, secretAccessKey: tenant.secretAccessKey } });
    const attachment = (await http.request('POST', `/volumes/${volumeId}/attachments`)).body as { attachmentId: string };
    expect(await json(tenant, 'attachments', 'get', volumeId, attachment.attachmentId)).toMatchObject({ attachmentId: attachment.attachmentId, volumeId });
    expect((await cli(identities.tenants.b, 'attachments', 'get', volumeId, attachment.attachmentId)).code).toBe(1);
    await http.request('DELETE', `/volumes/${volumeId}/attachments/${attachment.attachmentId}`);
  });

  test('reports create, list, get; operators: review-queue, known-issues list and occurrences', async () => {
    const created = await json<{ reportId: string; uploadUrl: string }>(tenant, 'reports', 'create', '--source', 'instance', '--content-length', '1024');
    expect(created.uploadUrl).toMatch(/^https?:\/\//);
    expect((await json<{ reports: { reportId: string }[] }>(tenant, 'reports', 'list')).reports.map((r) => r.reportId)).toContain(created.reportId);
    expect(await json(tenant, 'reports', 'get', created.reportId)).toMatchObject({ reportId: created.reportId });

    const ops = await operator();
    expect(await json(ops, 'reports', 'review-queue')).toHaveProperty('reports');
    expect((await json<{ knownIssues: unknown[] }>(ops, 'known-issues', 'list')).knownIssues.length).toBeGreaterThan(0);
    expect(await json(ops, 'known-issues', 'occurrences', 'oom-killer', '--window-hours', '1')).toHaveProperty('reports');
    expect((await cli(tenant, 'known-issues', 'list')).code).toBe(1);
  });

  test('snapshots list and list-volume answer pages; a malformed snapshot id ends with 2', async () => {
    expect(await json(tenant, 'snapshots', 'list')).toHaveProperty('snapshots');
    expect(await json(tenant, 'snapshots', 'list-volume', volumeId)).toEqual({ snapshots: [] });
    expect((await cli(tenant, 'snapshots', 'get', 'snap-nope')).code).toBe(2);
  });

  test('volumes delete, then volumes wait --status deleted', async () => {
    expect(await json(tenant, 'volumes', 'delete', volumeId)).toMatchObject({ volumeId, status: 'deleting' });
    expect(await json(tenant, 'volumes', 'wait', volumeId, '--status', 'deleted', '--timeout-seconds', '120')).toMatchObject({ status: 'deleted' });
  });

  test('completion prints a bash script naming every group', async () => {
    const run = await cli(tenant, 'completion');
    expect(run.code).toBe(0);
    for (const group of ['volumes', 'modifications', 'attachments', 'reports', 'known-issues', 'attach', 'detach', 'diagnose']) expect(run.stdout).toContain(group);
    expect(run.stdout).toContain('complete -F _blockplane blockplane');
  });
});
