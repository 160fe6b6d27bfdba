import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { IAMClient, paginateListRoles } from '@aws-sdk/client-iam';
import { chromium } from 'playwright-core';
import { STATE_FILE_NAME, type AgentStateContent } from '../../agent/controllers/state-file';
import { buildThrottleLimits, type ThrottleLimits } from '../../agent/copies/throttle-limits';
import { QmpClient } from '../../agent/qmp/qmp-client';
import type { ComplianceReport } from '../../core/audit/report-content';
import type { Clause, SpecVersion } from '../../core/audit/spec';
import { FUNCTION_ROLE_PATH } from '../../lib/blockplane-function';
import { createOperatorIdentity } from '../../local/identities';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type LocalHost } from '../../local/local-fleet';
import { removeStorageBridge } from '../../local/storage-network';
import { ok, VolumeApi, type VolumeView } from '../../client/blockplane-api';
import { invokeFunction } from './support/invoke-function';
import { deployment, eventually, httpAs, identities } from './support/local-cloud';
import { copyDataFile } from './support/nbd-clients';

/**
 * Dynamic specification auditing on the local cloud (docs/audit.md) with a real agent on the
 * local fleet: it fetches the spec, asserts, and the reports (downloaded through presigned URLs)
 * show PASS; a published security clause it breaks FAILs and raises an alarm; a second host held
 * on the spec it first fetched keeps asserting it, shown as drift; a copy whose PSK file is
 * loosened FAILs; a copy whose throttle limit is changed by hand through its daemon's admin QMP
 * socket FAILs with the live value until it is restored by hand; a waiver hides the FAIL until it expires; a stopped agent goes SILENT after the
 * (shortened) deadline.
 */
jest.setTimeout(300_000);

const outputs = JSON.parse(fs.readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const ARTIFACTS = path.join('test', 'artifacts', 'audit');
const location = `e2e-au${randomUUID().slice(0, 6)}`;
const tenant = httpAs(identities.tenants.a);
let ops: ReturnType<typeof httpAs>;
let host: LocalHost;
/** A second host whose agent keeps the first spec version it fetched (`--audit-hold-spec`), as a host held back during a rollout. */
let heldHost: LocalHost;
/** A clause id of this run only, so runs on one cloud never see each other's clauses. */
const pinnedClause = `host-agent-pinned-${randomUUID().slice(0, 8)}`;
const SHORT_DEADLINE_SECONDS = 10;


async function currentSpec(): Promise<SpecVersion> {
  const response = await ops.request('GET', '/specs/current');
  expect(response.status).toBe(200);
  return response.body as SpecVersion;
}

async function publish(changes: unknown[], reason: string): Promise<SpecVersion> {
  const response = await ops.request('POST', '/specs/changes', { changes, reason });
  expect(response.status).toBe(201);
  return response.body as SpecVersion;
}

/** Requests a report, waits for its workflow, downloads it through the presigned URL. */
async function report(format: 'json' | 'csv' | 'html', scope: Record<string, unknown>): Promise<{ body: string; url: string; contentType: string | null }> {
  const now = Date.now();
  const created = await ops.request('POST', '/compliance-reports', { scope, from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 1_000).toISOString(), format });
  expect(created.status).toBe(202);
  const { reportId } = created.body as { reportId: string };
  const ready = await eventually(
    async () => {
      const view = (await ops.request('GET', `/compliance-reports/${reportId}`)).body as { status: string; url?: string; failure?: string };
      if (view.status === 'failed') throw new Error(`report failed: ${view.failure}`);
      return view.status === 'ready' ? view : undefined;
    },
    60_000,
    `compliance report ${reportId} ready`,
    500,
  );
  const url = new URL(ready.url!);
  expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);
  const download = await fetch(url);
  expect(download.status).toBe(200);
  return { body: await download.text(), url: ready.url!, contentType: download.headers.get('content-type') };
}

const statusesOf = async (componentId: string, clauseId: string) => {
  const json = JSON.parse((await report('json', { componentIds: [componentId], clauseIds: [clauseId] })).body) as ComplianceReport;
  return json.clauses[0]?.statuses[0];
};
const hostStatuses = (clauseId: string) => statusesOf(host.hostId, clauseId);
type ClauseStatus = NonNullable<Awaited<ReturnType<typeof statusesOf>>>;
/** Waits (at most 60 s) until the component's status on the clause satisfies `matches`, and returns it. */
const statusWhen = (componentId: string, clauseId: string, matches: (status: ClauseStatus) => boolean, what: string) =>
  eventually(async () => {
    const seen = await statusesOf(componentId, clauseId);
    return seen && matches(seen) ? seen : undefined;
  }, 60_000, what);

const volumes = new VolumeApi(tenant);

async function availableVolume(request: Record<string, unknown>): Promise<VolumeView> {
  const created = ok<VolumeView>(await volumes.create(request));
  return eventually(async () => {
    const view = ok<VolumeView>(await volumes.get(created.volumeId));
    if (view.status === 'error') throw new Error(`volume ${view.volumeId} error: ${view.statusReason}`);
    return view.status === 'available' ? view : undefined;
  }, 120_000, 'the volume to be available');
}

/** The volume's primary copy and the local host that serves it. */
function primaryOf(volume: VolumeView): { primary: VolumeView['copies'][number]; onHost: LocalHost } {
  const primary = volume.copies.find((copy) => copy.role === 'primary')!;
  return { primary, onHost: [host, heldHost].find((candidate) => candidate.hostId === primary.hostId)! };
}

beforeAll(async () => {
  ops = httpAs(await createOperatorIdentity('operator-e2e'));
  expect((await ops.request('PUT', '/alarms', { securityFailures: true, threshold: null, repeatAfterMinutes: 60 })).status).toBe(200);
  const spec = await currentSpec();
  const agentVersion = spec.clauses.find((clause) => clause.id === 'host-agent-version-supported') as Clause;
  if (agentVersion.deadlineSeconds !== SHORT_DEADLINE_SECONDS) {
    await publish([{ op: 'modify', clause: { ...agentVersion, deadlineSeconds: SHORT_DEADLINE_SECONDS } }], 'e2e: a short deadline, so a stopped agent goes SILENT within the test');
  }
  host = await createLocalHost(1, location);
  startAgent(host, identities.hosts.h2, { auditIntervalMs: 2_000 });
  heldHost = await createLocalHost(2, location);
  startAgent(heldHost, identities.hosts.h3, { auditIntervalMs: 2_000, auditHoldSpec: true });
  await waitForRegistration(host, deployment.hostsTableName);
  await waitForRegistration(heldHost, deployment.hostsTableName);
});

afterAll(async () => {
  // This run's clause leaves the spec, so later runs on the same cloud do not find it failing.
  if ((await currentSpec()).clauses.some((clause) => clause.id === pinnedClause)) await publish([{ op: 'remove', clauseId: pinnedClause }], 'e2e: done');
  if (host) await destroyLocalHost(host);
  if (heldHost) await destroyLocalHost(heldHost);
  await removeStorageBridge();
});

describe('dynamic specification auditing on the local fleet', () => {
  test('the spec: ETag and 304 for agents polling, customers refused, versions immutable with a diff', async () => {
    const first = await ops.request('GET', '/specs/current');
    expect(first.etag).toBe(`"v${(first.body as SpecVersion).version}"`);
    const again = await ops.request('GET', '/specs/current', undefined, undefined, { 'if-none-match': first.etag! });
    expect(again.status).toBe(304);
    expect((await tenant.request('GET', '/specs/current')).status).toBe(403);
    expect((await tenant.request('POST', '/specs/changes', { changes: [], reason: 'x' })).status).toBe(403);
    expect((await ops.request('POST', '/specs/changes', { changes: [{ op: 'remove', clauseId: 'no-such-clause' }], reason: 'x' })).status).toBe(400);
    const version = (first.body as SpecVersion).version;
    const diff = (await ops.request('GET', `/specs/1/diff/${version}`)).body as { from: number; to: number };
    expect(diff).toMatchObject({ from: 1, to: version });
    expect((await ops.request('GET', '/specs/999999')).status).toBe(404);
  });

  test('a healthy host: the agent asserts its clauses and the JSON, CSV and HTML reports show them PASS', async () => {
    const version = (await currentSpec()).version;
    await eventually(async () => ((await hostStatuses('host-agent-version-supported'))?.state === 'PASS' ? true : undefined), 60_000, 'host PASS');
    const json = JSON.parse((await report('json', { componentIds: [host.hostId], componentType: 'storage-host' })).body) as ComplianceReport;
    const states = Object.fromEntries(json.clauses.map((clause) => [clause.clause.id, clause.statuses.map((status) => status.state)]));
    expect(states['host-agent-version-supported']).toEqual(['PASS']);
    expect(states['host-qemu-version-supported']).toEqual(['PASS']);
    expect(states['host-disk-mount-options']).toEqual(['PASS']);
    expect(json.clauses.find((clause) => clause.clause.id === 'host-agent-version-supported')?.statuses[0]).toMatchObject({ specVersion: version, drift: false });

    const csv = await report('csv', { componentIds: [host.hostId], componentType: 'storage-host' });
    expect(csv.contentType).toContain('text/csv');
    const rows = csv.body.trim().split('\r\n');
    expect(rows[0]).toBe('clauseId,severity,verdict,componentType,componentId,state,drift,specVersion,observed,expected,at,waivedUntil');
    expect(rows.find((row) => row.startsWith('host-agent-version-supported,'))).toContain(`,storage-host,${host.hostId},PASS,false,${version},0.1.0,`);
  });

  test('a published security clause the host breaks: the agent reports the new version, FAIL with observed vs expected, and an alarm', async () => {
    const template = (await currentSpec()).clauses.find((clause) => clause.id === 'host-agent-version-supported') as Clause;
    const next = await publish(
      [{ op: 'add', clause: { ...template, id: pinnedClause, title: 'e2e: the agent is pinned to 9.9.9', check: { kind: 'equals', value: '9.9.9' }, severity: 'security', deadlineSeconds: 300 } }],
      'e2e: a security clause every host breaks',
    );
    const status = await eventually(async () => {
      const seen = await hostStatuses(pinnedClause);
      return seen?.state === 'FAIL' ? seen : undefined;
    }, 60_000, 'the new clause FAIL');
    expect(status).toMatchObject({ state: 'FAIL', observed: '0.1.0', expected: 'equals 9.9.9', specVersion: next.version, drift: false });
    const alarms = await eventually(async () => {
      const view = (await ops.request('GET', '/alarms')).body as { recent: { kind: string; clauseId: string; componentIds: string[]; message: string }[] };
      return view.recent.find((alarm) => alarm.clauseId === pinnedClause && alarm.componentIds.includes(host.hostId));
    }, 30_000, 'the security alarm');
    expect(alarms).toMatchObject({ kind: 'security-failure' });
    expect(alarms.message).toContain('observed "0.1.0"');
  });

  test('a host held on the spec it first fetched keeps asserting that version: its statuses show drift, and the newer clause is SILENT there', async () => {
    const current = (await currentSpec()).version;
    const held = await statusWhen(heldHost.hostId, 'host-agent-version-supported', (seen) => seen.state === 'PASS', 'the held host PASS');
    expect(held.specVersion).toBeLessThan(current);
    expect(held.drift).toBe(true);
    expect(await statusesOf(heldHost.hostId, pinnedClause)).toMatchObject({ state: 'SILENT', drift: false });
    const csv = await report('csv', { componentIds: [heldHost.hostId], clauseIds: ['host-agent-version-supported'] });
    expect(csv.body).toContain(`,storage-host,${heldHost.hostId},PASS,true,${held.specVersion},`);
  });

  test('a volume copy whose PSK file is loosened to 0644 FAILs copy-psk-file-mode-0600 with the observed mode, and PASSes once it is 0600 again', async () => {
    const volume = await availableVolume({ sizeGiB: 1, type: 'ssd', location });
    try {
      const { primary, onHost } = primaryOf(volume);
      const pskFile = path.join(path.dirname(copyDataFile(onHost.dataDir, primary.copyId)!), 'tls-server', 'keys.psk');
      const componentId = `${primary.hostId}/${primary.copyId}`;
      fs.chmodSync(pskFile, 0o644);
      const failing = await statusWhen(componentId, 'copy-psk-file-mode-0600', (seen) => seen.state === 'FAIL', 'the copy FAIL');
      expect(failing).toMatchObject({ componentType: 'volume-copy', observed: '0644', expected: 'equals 0600' });
      fs.chmodSync(pskFile, 0o600);
      await statusWhen(componentId, 'copy-psk-file-mode-0600', (seen) => seen.state === 'PASS', 'the copy PASS again');
    } finally {
      expect((await volumes.delete(volume.volumeId)).status).toBe(202);
    }
  });

  test("a copy's throttle limit set by hand through its daemon's admin QMP socket FAILs copy-throttle-equals-committed-iops with the live value; the agent does not set it back, and once restored by hand it PASSes", async () => {
    const committedIops = 3_000;
    const handSetIops = 1_234;
    const volume = await availableVolume({ sizeGiB: 1, type: 'ssd', iops: committedIops, location });
    try {
      expect(volume.iops).toBe(committedIops);
      const { primary, onHost } = primaryOf(volume);
      const componentId = `${primary.hostId}/${primary.copyId}`;
      const clauseId = 'copy-throttle-equals-committed-iops';
      const expected = `equals ${committedIops} (committed committedIops)`;
      await statusWhen(componentId, clauseId, (seen) => seen.state === 'PASS', 'the copy PASS first');
      const state = JSON.parse(fs.readFileSync(path.join(onHost.dataDir, STATE_FILE_NAME), 'utf8')) as AgentStateContent;
      const row = state.copies.find((copy) => copy.copyId === primary.copyId)!;
      expect(fs.statSync(row.adminQmpSocket).mode & 0o777).toBe(0o600);
      const metadata = JSON.parse(fs.readFileSync(path.join(path.dirname(row.dataPath), 'copy.json'), 'utf8')) as { nodeNames: { throttleGroup: string } };
      const group = `/objects/${metadata.nodeNames.throttleGroup}`;
      // The agent holds <root>.qmp; an operator (root on the host) uses the admin socket.
      const admin = await QmpClient.connect(row.adminQmpSocket);
      try {
        const liveIops = async () => (await admin.execute<ThrottleLimits>('qom-get', { path: group, property: 'limits' }))['iops-total'];
        expect(await liveIops()).toBe(committedIops);
        await admin.execute('qom-set', { path: group, property: 'limits', value: buildThrottleLimits({ iopsTotal: handSetIops }) });
        const failing = await statusWhen(componentId, clauseId, (seen) => seen.state === 'FAIL', 'the copy FAIL');
        expect(failing).toMatchObject({ componentType: 'volume-copy', observed: handSetIops, expected });
        // Assertions only read: no pass, heartbeat or reconcile puts the committed limit back, so later passes keep failing.
        const later = await statusWhen(componentId, clauseId, (seen) => Date.parse(seen.at!) > Date.parse(failing.at!) + 4_000, 'a later pass');
        expect(later).toMatchObject({ state: 'FAIL', observed: handSetIops, expected });
        expect(await liveIops()).toBe(handSetIops);
        await admin.execute('qom-set', { path: group, property: 'limits', value: buildThrottleLimits({ iopsTotal: committedIops }) });
        const passing = await statusWhen(componentId, clauseId, (seen) => seen.state === 'PASS', 'the copy PASS again');
        expect(passing).toMatchObject({ observed: committedIops, expected });
      } finally {
        admin.close();
      }
    } finally {
      expect((await volumes.delete(volume.volumeId)).status).toBe(202);
    }
  });

  test('a waiver hides the FAIL (WAIVED) until it expires, then the FAIL shows again', async () => {
    const until = new Date(Date.now() + 15_000).toISOString();
    expect((await ops.request('POST', '/waivers', { componentId: host.hostId, clauseId: pinnedClause, until, reason: 'e2e: pinned on purpose' })).status).toBe(201);
    expect(await hostStatuses(pinnedClause)).toMatchObject({ state: 'WAIVED', waiver: { until } });
    const html = await report('html', { componentIds: [host.hostId] });
    expect(html.body).toContain(`data-component-id="${host.hostId}" data-state="WAIVED"`);
    await eventually(async () => ((await hostStatuses(pinnedClause))?.state === 'FAIL' ? true : undefined), 40_000, 'the waiver to expire');
  });

  test('the HTML report in headless Chromium: the spec coloured per clause, the failing component with its observed value', async () => {
    const { url } = await report('html', { componentIds: [host.hostId] });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.screenshot({ path: path.join(ARTIFACTS, 'compliance-report.png'), fullPage: true });
      const verdict = (clauseId: string) => page.locator(`section[data-clause-id="${clauseId}"]`).getAttribute('data-verdict');
      expect(await verdict(pinnedClause)).toBe('failing');
      expect(await verdict('host-agent-version-supported')).toBe('compliant');
      expect(await verdict('bucket-blocks-public-access')).toBe('unknown');
      const finding = page.locator(`section[data-clause-id="${pinnedClause}"] tr.finding[data-component-id="${host.hostId}"]`);
      expect(await finding.locator('td.observed').textContent()).toBe('"0.1.0"');
      const colour = await page.locator(`section[data-clause-id="${pinnedClause}"]`).evaluate((node) => (globalThis as unknown as { getComputedStyle(element: unknown): { borderLeftColor: string } }).getComputedStyle(node).borderLeftColor);
      expect(colour).toBe('rgb(198, 40, 40)');
    } finally {
      await browser.close();
    }
  });

  test('the control-plane asserter reads the real volumes, buckets, tables and every stack\'s function roles and stores its assertions', async () => {
    const outcome = (await invokeFunction(outputs.BlockplaneAudit.AuditControlPlaneFunctionName, { source: 'aws.events', 'detail-type': 'Scheduled Event' })) as { asserted: number };
    expect(outcome.asserted).toBeGreaterThan(0);
    const json = JSON.parse((await report('json', { componentType: 'table' })).body) as ComplianceReport;
    const specsTable = `table/${outputs.BlockplaneAudit.SpecsTableName}`;
    const pitr = json.clauses.find((clause) => clause.clause.id === 'table-pitr-enabled')!.statuses.find((status) => status.componentId === specsTable);
    // What the asserter saw is what the table says (MiniStack answers DISABLED whatever the template asked, so this is a real FAIL there).
    const { ContinuousBackupsDescription } = await new DynamoDBClient({}).send(new DescribeContinuousBackupsCommand({ TableName: outputs.BlockplaneAudit.SpecsTableName }));
    const actual = ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus ?? 'DISABLED';
    expect(pitr).toMatchObject({ state: actual === 'ENABLED' ? 'PASS' : 'FAIL', observed: actual, expected: 'equals ENABLED' });
    // Every function role of the deployed stacks (IAM lists them under the path; the stacks name the current ones) is audited, and each holds only its grants
    const underPath = new Set<string>();
    for await (const page of paginateListRoles({ client: new IAMClient({}) }, { PathPrefix: FUNCTION_ROLE_PATH })) for (const role of page.Roles ?? []) underPath.add(role.RoleName!);
    const roleNames = new Set<string>();
    const cloudFormation = new CloudFormationClient({});
    for (const stackName of Object.keys(outputs)) {
      for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stackName })) {
        for (const resource of page.StackResourceSummaries ?? []) if (resource.ResourceType === 'AWS::IAM::Role' && underPath.has(resource.PhysicalResourceId!)) roleNames.add(resource.PhysicalResourceId!);
      }
    }
    expect([...roleNames].some((name) => name.startsWith('BlockplaneApi-'))).toBe(true);
    expect([...roleNames].some((name) => name.startsWith('BlockplaneHealth-'))).toBe(true);
    const roles = JSON.parse((await report('json', { componentType: 'function-role' })).body) as ComplianceReport;
    const grants = roles.clauses.find((clause) => clause.clause.id === 'function-role-only-its-grants')!.statuses;
    const deployed = grants.filter((status) => roleNames.has(status.componentId.replace(/^role\//, '')));
    expect(deployed.map((status) => status.componentId).sort()).toEqual([...roleNames].map((name) => `role/${name}`).sort());
    expect(deployed.filter((status) => status.state !== 'PASS').map((status) => `${status.componentId} ${status.state} ${JSON.stringify(status.observed)}`)).toEqual([]);
  });

  test('a stopped agent: its clauses go SILENT once the deadline passes without an assertion', async () => {
    host.agent!.kill('SIGTERM');
    await eventually(async () => (host.agent!.exitCode !== null || host.agent!.signalCode !== null ? true : undefined), 30_000, 'the agent to stop');
    const silent = await eventually(async () => {
      const seen = await hostStatuses('host-agent-version-supported');
      return seen?.state === 'SILENT' ? seen : undefined;
    }, 60_000, 'SILENT');
    expect(Date.now() - Date.parse(silent.at!)).toBeGreaterThan(SHORT_DEADLINE_SECONDS * 1000);
    const other = await hostStatuses('host-qemu-version-supported');
    expect(other?.state).toBe('PASS');
  });
});
