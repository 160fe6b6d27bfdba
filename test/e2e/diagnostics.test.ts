import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createOperatorIdentity, type Identity } from '../../local/identities';
import { ScriptedHost } from '../../local/scripted-host';
import { buildReportTarball, manifestFor as manifestOf } from '../unit/diagnostics/report-tarball';
import { deployment, eventually, hostApiAs, httpAs, identities } from './support/local-cloud';

/**
 * Diagnostics on the local cloud (docs/diagnostics.md): a report built with tar is uploaded with
 * its presigned PUT; S3 → EventBridge → diagnose-report diagnoses it; GET answers the matches
 * with ranked solutions. Hostile uploads end `failed` with a reason and add nothing else.
 */
jest.setTimeout(180_000);

const tenantA = httpAs(identities.tenants.a);
const tenantB = httpAs(identities.tenants.b);
const DIAGNOSIS_TIMEOUT_MS = 60_000;

interface Upload {
  reportId: string;
  uploadUrl: string;
  uploadHeaders: Record<string, string>;
  expiresAt: string;
}

interface ReportView {
  reportId: string;
  status: string;
  reason?: string;
  result?: { matches: { issueId: string; severity: string; cause: string; solutions: { rank: number; title: string; steps: string[] }[] }[]; needsReview: boolean };
  manifest?: { collectors: { name: string; status: string }[] };
  facts?: { issueId: string; evidence: { fact?: string; log?: string; lines?: string[] }[] }[];
}

/** PUTs `body` to a presigned URL with exactly the headers the API gave. */
function put(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, { method: 'PUT', headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function createReport(client = tenantA, body: Record<string, unknown> = {}): Promise<Upload> {
  const response = await client.request('POST', '/reports', { source: 'instance', ...body });
  expect(response.status).toBe(201);
  return response.body as Upload;
}

async function upload(tarball: Buffer, client = tenantA): Promise<Upload> {
  const created = await createReport(client, { contentLength: tarball.length });
  const answer = await put(created.uploadUrl, created.uploadHeaders, tarball);
  expect(answer).toMatchObject({ status: 200 });
  return created;
}

async function settled(reportId: string, client = tenantA, view = ''): Promise<ReportView> {
  return eventually(
    async () => {
      const response = await client.request('GET', `/reports/${reportId}${view}`);
      const report = response.body as ReportView;
      return report.status === 'diagnosed' || report.status === 'failed' ? report : undefined;
    },
    DIAGNOSIS_TIMEOUT_MS,
    `report ${reportId} to be diagnosed or failed`,
    500,
  );
}

const KERNEL = [
  '[Tue Dec  1 11:00:01 2026] EXT4-fs (vda1): mounted filesystem with ordered data mode.',
  '[Tue Dec  1 11:40:00 2026] Out of memory: Killed process 4242 (java) total-vm:9000000kB, anon-rss:7000000kB',
].join('\n');

function dated(text: string): string {
  // The fixture's lines are placed an hour before now, so time-window rules see them inside their window.
  const at = new Date(Date.now() - 3_600_000);
  const stamp = at.toUTCString().replace(/^(\w{3}), (\d{2}) (\w{3}) (\d{4}) ([\d:]{8}) GMT$/, (_m, day, date, month, year, time) => `${day} ${month} ${String(Number(date)).padStart(2, ' ')} ${time} ${year}`);
  return text.replace(/\[Tue Dec {2}1 [\d:]{8} 2026\]/g, `[${stamp}]`);
}

const DF = 'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/vda1         20509264  19894000    615264      97% /\n';

async function reportObjects(prefix: string): Promise<string[]> {
  const listing = await new S3Client({ forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: deployment.reportsBucketName, Prefix: prefix }));
  return (listing.Contents ?? []).map((object) => object.Key!);
}

const operator = (): Promise<Identity> => createOperatorIdentity('operator-e2e');

describe('diagnostics on the local cloud', () => {
  test('a report uploaded with its presigned PUT is diagnosed: matches with causes and ranked solutions, the technician view holds only the facts used', async () => {
    // Given a report (built with tar) whose kernel log shows the OOM killer and whose root is 97 % full
    const tarball = buildReportTarball({ 'dmesg.txt': dated(KERNEL), 'df.txt': DF, 'uname.txt': 'Linux web-1 6.1.0-18-amd64 #1 SMP x86_64 GNU/Linux\n' });

    // When it is uploaded
    const { reportId } = await upload(tarball);
    const report = await settled(reportId);

    // Then the result names both issues, most severe first, each with ranked solutions
    expect(report.status).toBe('diagnosed');
    expect(report.result!.matches.map((match) => match.issueId)).toEqual(['oom-killer', 'disk-full']);
    for (const match of report.result!.matches) {
      expect(match.cause.length).toBeGreaterThan(10);
      expect(match.solutions.map((solution) => solution.rank)).toEqual(match.solutions.map((_, index) => index + 1));
    }
    const technician = (await tenantA.request('GET', `/reports/${reportId}?view=technician`)).body as ReportView;
    expect(technician.facts).toEqual([
      { issueId: 'oom-killer', evidence: [expect.objectContaining({ log: 'kernel', count: 1, lines: [expect.stringContaining('Killed process 4242')] })] },
      { issueId: 'disk-full', evidence: [{ fact: 'df.maxUsedPercent', value: 97 }] },
    ]);
    expect(JSON.stringify(technician)).not.toContain('mounted filesystem');
    expect(technician.manifest!.collectors.map((collector) => collector.status)).toEqual(['ok', 'ok', 'ok']);
    expect(technician.result).toBeUndefined();

    // And the caller lists it; feedback on a match is stored
    const listed = (await tenantA.request('GET', '/reports')).body as { reports: { reportId: string; status: string }[] };
    expect(listed.reports).toContainEqual(expect.objectContaining({ reportId, status: 'diagnosed' }));
    expect(await tenantA.request('POST', `/reports/${reportId}/feedback`, { issueId: 'oom-killer', helpful: true })).toMatchObject({ status: 201 });
    expect(await tenantA.request('POST', `/reports/${reportId}/feedback`, { issueId: 'kernel-too-old', helpful: true })).toMatchObject({ status: 400 });

    // And another tenant sees no such report, nor it in its list
    expect(await tenantB.request('GET', `/reports/${reportId}`)).toMatchObject({ status: 404 });
    expect(await tenantB.request('GET', `/reports/${reportId}?view=technician`)).toMatchObject({ status: 404 });
    expect(await tenantB.request('POST', `/reports/${reportId}/feedback`, { issueId: 'oom-killer', helpful: false })).toMatchObject({ status: 404 });
    const otherList = (await tenantB.request('GET', '/reports')).body as { reports: { reportId: string }[] };
    expect(otherList.reports.map((item) => item.reportId)).not.toContain(reportId);
  });

  test('an operator sees a report with kernel errors but no match in the review queue, and the fleet count of a signature', async () => {
    // Given a report with an unknown kernel error
    const { reportId } = await upload(buildReportTarball({ 'dmesg.txt': dated('[Tue Dec  1 11:00:00 2026] BUG: unable to handle page fault for address: ffff9e5c3f\n') }));
    expect((await settled(reportId)).result).toMatchObject({ matches: [], needsReview: true });
    const ops = httpAs(await operator());

    // Then it waits in the review queue, which a tenant may not read
    const queue = (await ops.request('GET', '/review-queue')).body as { reports: { reportId: string }[] };
    expect(queue.reports.map((item) => item.reportId)).toContain(reportId);
    expect(await tenantA.request('GET', '/review-queue')).toMatchObject({ status: 403 });

    // And the fleet view counts the OOM signature of the earlier test
    const occurrences = (await ops.request('GET', '/known-issues/oom-killer/occurrences?windowHours=1')).body as { reports: number };
    expect(occurrences.reports).toBeGreaterThanOrEqual(1);
    const rules = (await ops.request('GET', '/known-issues')).body as { knownIssues: { id: string; scope: string }[] };
    expect(rules.knownIssues.length).toBeGreaterThanOrEqual(30);

    // And a new rule version is validated and stored
    const rule = JSON.parse(fs.readFileSync(path.join(__dirname, '../../rules/known-issues/zombie-processes.json'), 'utf8'));
    expect(await ops.request('POST', '/known-issues', { scope: 'global', rule: { ...rule, when: { fact: 'ps.zombieCount' } } })).toMatchObject({ status: 400 });
    expect(await tenantA.request('POST', '/known-issues', { scope: 'global', rule })).toMatchObject({ status: 403 });
    const stored = (await ops.request('POST', '/known-issues', { scope: 'global', rule: { ...rule, title: `${rule.title} (e2e)` } })).body as { version: number };
    expect(stored.version).toBeGreaterThanOrEqual(2);
  });

  test('an upload URL is refused once expired, and one signed for a length refuses another', async () => {
    const tarball = buildReportTarball({ 'df.txt': DF });
    const short = await createReport(tenantA, { contentLength: tarball.length, expiresInSeconds: 1 });
    // Nothing is uploaded until the report reads expired (its URL's end passed), then S3 must refuse the PUT.
    await eventually(
      async () => (((await tenantA.request('GET', `/reports/${short.reportId}`)).body as ReportView).status === 'expired' ? true : undefined),
      10_000,
      'the report to read expired',
      250,
    );
    const refused = await put(short.uploadUrl, short.uploadHeaders, tarball);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('expired');
    expect(await reportObjects(`reports/tenant-`).then((keys) => keys.some((key) => key.includes(short.reportId)))).toBe(false);

    const created = await createReport(tenantA, { contentLength: tarball.length });
    const longer = Buffer.concat([tarball, Buffer.alloc(10)]);
    expect((await put(created.uploadUrl, { ...created.uploadHeaders, 'content-length': String(longer.length) }, longer)).status).toBe(403);
    expect(await reportObjects(`reports/`).then((keys) => keys.some((key) => key.includes(created.reportId)))).toBe(false);
  });

  test.each([
    ['a tar bomb', () => buildReportTarball({}, { prepare: (dir: string) => fs.writeFileSync(path.join(dir, 'report/files/zeros'), Buffer.alloc(80 * 1024 * 1024)) }), /gzip bomb/],
    ['path traversal', () => buildReportTarball({ 'dmesg.txt': 'x' }, { prepare: (dir: string) => fs.writeFileSync(path.join(dir, 'evil'), 'x'), members: ['report', 'report/../evil'] }), /path traversal/],
    ['a symlink escape', () => buildReportTarball({ 'dmesg.txt': 'x' }, { prepare: (dir: string) => fs.symlinkSync('/etc/shadow', path.join(dir, 'report/files/journal.txt')) }), /symbolic link/],
    ['non-gzip', () => Buffer.from('this is a plain text file, not a report\n'), /not gzip-compressed/],
    ['a file over 16 MiB', () => buildReportTarball({}, { prepare: (dir: string) => fs.writeFileSync(path.join(dir, 'report/files/journal.txt'), Buffer.alloc(17 * 1024 * 1024, 'a')) }), /limit is 16777216/],
  ])('%s ends failed with the reason, and nothing else changes', async (_, build, reason) => {
    const ops = httpAs(await operator());
    const before = ((await ops.request('GET', '/review-queue')).body as { reports: unknown[] }).reports.length;
    const { reportId } = await upload(build());
    const report = await settled(reportId);
    expect(report).toMatchObject({ status: 'failed', reason: expect.stringMatching(reason) });
    expect(report.result).toBeUndefined();
    expect(((await ops.request('GET', '/review-queue')).body as { reports: unknown[] }).reports.length).toBe(before);
  });

  test('a storage host uploads its own report under its host id and gets the storage rules; a tenant cannot read it', async () => {
    // Given a registered host whose agent state shows a stale replica
    const hostId = `diag-${Date.now().toString(36)}`;
    const host = new ScriptedHost(hostApiAs('h4'), { hostId, location: `diag-${hostId}`, address: '10.77.0.230', capacityGiB: 100, iopsCapacity: 10_000, behaviour: 'succeed' });
    await host.register();
    const asHost = httpAs(identities.hosts.h4);
    const agentState = JSON.stringify({ hostId, agentVersion: '0.1.0', copies: [{ volumeId: 'vol-0123456789abcdef0', copyId: 'cpy-0a1b2c3d4e5f', role: 'mirror', generation: 3, state: 'replica-stale' }] });
    const tarball = buildReportTarball({ 'agent-state.json': agentState }, { manifest: { ...manifestOf({ 'agent-state.json': agentState }), source: 'host', hostId } });

    // When it asks for an upload URL as itself (naming another host is refused) and uploads
    expect(await asHost.request('POST', '/reports', { source: 'host', hostId: 'someone-else', contentLength: tarball.length })).toMatchObject({ status: 403 });
    const created = await createReport(asHost, { source: 'host', contentLength: tarball.length });
    expect(new URL(created.uploadUrl).pathname).toContain(`/reports/host-${hostId}/${created.reportId}/report.tar.gz`);
    expect((await put(created.uploadUrl, created.uploadHeaders, tarball)).status).toBe(200);

    // Then the host reads its diagnosis; a tenant gets 404
    const report = await settled(created.reportId, asHost);
    expect(report.result!.matches.map((match) => match.issueId)).toEqual(['replica-stale']);
    expect(await tenantA.request('GET', `/reports/${created.reportId}`)).toMatchObject({ status: 404 });
  });

  test('bad requests are 4xx and create nothing', async () => {
    expect(await tenantA.request('POST', '/reports', { source: 'instance', contentLength: 17 * 1024 * 1024 })).toMatchObject({ status: 400 });
    expect(await tenantA.request('POST', '/reports', { source: 'instance', contentLength: 10, expiresInSeconds: 3600 })).toMatchObject({ status: 400 });
    expect(await tenantA.request('POST', '/reports', { source: 'phone', contentLength: 10 })).toMatchObject({ status: 400 });
    expect(await tenantA.request('GET', '/reports/rpt-not-an-id')).toMatchObject({ status: 400 });
    expect(await tenantA.request('GET', '/reports/rpt-0123456789abcdef0?view=everything')).toMatchObject({ status: 400 });
  });
});
