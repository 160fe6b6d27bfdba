import { randomUUID } from 'node:crypto';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { main } from '../../cli/main';
import { buildProgram } from '../../cli/program';
import { createOperatorIdentity, type Identity } from '../../local/identities';
import { modificationHosts } from '../statemachines/support/modifications';
import { freshLocation, stopHosts } from '../statemachines/support/scenario';
import { deployment, identities } from './support/local-cloud';

/**
 * Every CLI command against the deployed local cloud (scripted hosts build the volumes), run
 * in-process as a user would type it: results on stdout, exit codes as cli/errors.ts says, bad
 * input refused with 2 before anything is sent. The last test checks that every command of the tree
 * ran here, but for those that need a real storage host: attach/detach run in
 * test/agent/attach-bridge.test.ts and test/e2e/fleet-script.test.ts, diagnose collect in
 * test/e2e/host-diagnostics.test.ts.
 */
jest.setTimeout(240_000);
afterAll(() => stopHosts());

/** Commands whose runs need a real storage host, and the tests that run them. */
const RUN_ELSEWHERE: Record<string, string> = {
  attach: 'test/agent/attach-bridge.test.ts, test/e2e/fleet-script.test.ts, test/e2e/attach-usage-report.test.ts',
  detach: 'test/agent/attach-bridge.test.ts, test/e2e/fleet-script.test.ts',
  'diagnose collect': 'test/e2e/host-diagnostics.test.ts',
};

function leafCommands(command: CommandUnknownOpts, path: string[] = []): string[] {
  return command.commands.flatMap((sub) => (sub.commands.length > 0 ? leafCommands(sub as CommandUnknownOpts, [...path, sub.name()]) : [[...path, sub.name()].join(' ')]));
}
const LEAVES = leafCommands(buildProgram());
/** The commands this file ran against the local cloud (whatever they answered). */
const ran = new Set<string>();
const commandOf = (args: readonly string[]): string | undefined => {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return LEAVES.find((leaf) => leaf === words.slice(0, 2).join(' ')) ?? LEAVES.find((leaf) => leaf === words[0]);
};

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
  const command = commandOf(args);
  if (command) ran.add(command);
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

  let hostId: string;

  beforeAll(async () => {
    hostId = (await modificationHosts(location))[0]!.options.hostId;
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

  test('snapshots create, get, delete; volumes events and health; recovery get, access, decide answer 4xx for a volume in no recovery (exit 1)', async () => {
    const snapshot = await json<{ snapshotId: string; status: string }>(tenant, 'snapshots', 'create', volumeId, '--description', 'cli e2e');
    expect(snapshot.status).toBe('pending');
    expect(await json(tenant, 'snapshots', 'get', snapshot.snapshotId)).toMatchObject({ snapshotId: snapshot.snapshotId, volumeId });
    const deleting = await cli(tenant, 'snapshots', 'delete', snapshot.snapshotId);
    // a pending snapshot may be refused (409) until its workflow ends; both are answers of the cloud
    expect([0, 1]).toContain(deleting.code);
    if (deleting.code === 1) expect(deleting.stderr).toMatch(/HTTP 409/);

    expect(await json(tenant, 'volumes', 'events', volumeId)).toHaveProperty('events');
    expect(await json(tenant, 'volumes', 'health', volumeId)).toMatchObject({ volumeId });
    for (const args of [['recovery', 'get', volumeId], ['recovery', 'access', volumeId], ['recovery', 'decide', volumeId, '--action', 'enable']]) {
      const run = await cli(tenant, ...args);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toMatch(/HTTP 4\d\d/);
    }
  });

  test('health and notices: events list, comments post and ingest, settings, help-box suggest and page, health components, component, dead letters and redrive', async () => {
    // tenant fuzz: its settings and comments touch no other test's tenant
    const own = identities.tenants.fuzz;
    expect(await json(tenant, 'events', 'list', '--status', 'open')).toHaveProperty('events');
    expect(await json(own, 'comments', 'post', '--text', 'cli e2e: is anything wrong?', '--channel', 'cli')).toHaveProperty('commentId');
    expect(await json(own, 'settings', 'put-remediation', '--default', '{"onComponentRed":"recommend"}')).toMatchObject({ default: { onComponentRed: 'recommend' } });
    expect(await json(own, 'settings', 'get-remediation')).toMatchObject({ default: { onComponentRed: 'recommend' } });
    expect((await cli(own, 'settings', 'put-webhook', '--url', 'https://hooks.example.com/blockplane')).code).toBe(0);
    expect(await json(own, 'help-box', 'suggest', '--text', 'my volume is slow')).toHaveProperty('suggestions');
    const page = await cli(own, 'help-box', 'page');
    expect(page.code).toBe(0);
    expect(page.stdout).toContain('<');

    const ops = await operator();
    expect(await json(ops, 'comments', 'ingest', '--comments', '[{"text":"cli e2e: from the forum","channel":"forum"}]')).toBeDefined();
    const { components } = await json<{ components: { componentId: string }[] }>(ops, 'health', 'components', '--kind', 'host');
    // a component is known once the scheduled evaluation has seen it; a scripted host of this file may not be yet
    if (components.length > 0) expect(await json(ops, 'health', 'component', components[0]!.componentId)).toMatchObject({ componentId: components[0]!.componentId });
    const unknown = await cli(ops, 'health', 'component', `host:${hostId}-never`);
    expect({ code: unknown.code, http: /HTTP 404/.test(unknown.stderr) }).toEqual({ code: 1, http: true });
    expect((await cli(tenant, 'health', 'components')).code).toBe(1);
    expect(await json(ops, 'health', 'dead-letters', '--limit', '5')).toHaveProperty('deadLetters');
    const notDead = await cli(ops, 'health', 'redrive-notice', '--notice-id', 'evt-00000000000000000000#vol-00000000000000000#IMPAIRED');
    expect({ code: notDead.code, http: /HTTP 404/.test(notDead.stderr) }).toEqual({ code: 1, http: true });
  });

  test('auditing, operators: specs current, get, diff, change (a clause added and removed); alarms; waivers; compliance-reports create and get', async () => {
    const ops = await operator();
    const current = await json<{ version: number; clauses: { id: string }[] }>(ops, 'specs', 'current');
    expect(await json(ops, 'specs', 'get', '1')).toMatchObject({ version: 1 });
    expect(await json(ops, 'specs', 'diff', '1', String(current.version))).toMatchObject({ from: 1, to: current.version });
    const template = current.clauses.find((clause) => clause.id === 'table-pitr-enabled')!;
    const clauseId = `cli-e2e-${randomUUID().slice(0, 8)}`;
    const added = await json<{ version: number }>(ops, 'specs', 'change', '--changes', JSON.stringify([{ op: 'add', clause: { ...template, id: clauseId } }]), '--reason', 'cli e2e');
    expect(added.version).toBeGreaterThan(current.version);
    expect((await json<{ version: number }>(ops, 'specs', 'change', '--changes', JSON.stringify([{ op: 'remove', clauseId }]), '--reason', 'cli e2e: done')).version).toBe(added.version + 1);

    expect(await json(ops, 'alarms', 'put', '--security-failures', '--threshold', 'null', '--repeat-after-minutes', '60')).toMatchObject({ config: { securityFailures: true, threshold: null } });
    expect(await json(ops, 'alarms', 'get')).toHaveProperty('recent');
    const table = `table/${deployment.hostsTableName}`;
    const until = new Date(Date.now() + 60_000).toISOString();
    expect((await cli(ops, 'waivers', 'grant', '--component-id', table, '--clause-id', 'table-pitr-enabled', '--until', until, '--reason', 'cli e2e')).code).toBe(0);
    expect(JSON.stringify(await json(ops, 'waivers', 'list'))).toContain(table);
    const now = Date.now();
    const report = await json<{ reportId: string }>(ops, 'compliance-reports', 'create', '--scope', '{"componentType":"table"}', '--from', new Date(now - 3_600_000).toISOString(), '--to', new Date(now).toISOString(), '--format', 'json');
    expect(await json(ops, 'compliance-reports', 'get', report.reportId)).toMatchObject({ reportId: report.reportId });
    expect((await cli(tenant, 'specs', 'current')).code).toBe(1);
  });

  test('diagnostics, operators: known-issues put stores a private rule; reports feedback answers (4xx for a report not diagnosed)', async () => {
    const ops = await operator();
    const issueId = `cli-e2e-${randomUUID().slice(0, 8)}`;
    const rule = {
      id: issueId, title: 'cli e2e: never matches', severity: 'low', appliesTo: ['host'], cause: 'a rule the CLI test stores',
      when: { fact: 'time.synchronized', equals: 'never' }, solutions: [{ title: 'none', steps: ['nothing to do'] }],
    };
    // private to an owner that sends no reports, so no other test's diagnosis meets it
    expect(JSON.stringify(await json(ops, 'known-issues', 'put', '--body', JSON.stringify({ scope: 'private', owner: 'tenant-cli-e2e-nobody', rule })))).toContain(issueId);
    const created = await json<{ reportId: string }>(tenant, 'reports', 'create', '--source', 'instance', '--content-length', '1024');
    const feedback = await cli(tenant, 'reports', 'feedback', created.reportId, '--issue-id', issueId, '--helpful');
    expect({ code: feedback.code, http: /HTTP 4\d\d/.test(feedback.stderr) }).toEqual({ code: 1, http: true });
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

  test('every command of the tree ran here, but for those that need a real storage host (run elsewhere, named)', () => {
    expect(LEAVES.filter((leaf) => !ran.has(leaf) && !(leaf in RUN_ELSEWHERE))).toEqual([]);
    expect(Object.keys(RUN_ELSEWHERE).every((leaf) => LEAVES.includes(leaf))).toBe(true);
  });
});
