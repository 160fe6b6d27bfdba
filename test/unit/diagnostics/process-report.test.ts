import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnosis } from '../../../core/diagnostics/diagnose';
import type { KnownIssueStore, Occurrence, ReportRepository, ReportUploads } from '../../../core/diagnostics/ports';
import type { ReportRecord } from '../../../core/diagnostics/report';
import type { KnownIssue } from '../../../core/diagnostics/rule';
import { createReport } from '../../../core/diagnostics/use-cases/create-report';
import { describeReport } from '../../../core/diagnostics/use-cases/read-reports';
import { processReport } from '../../../core/diagnostics/use-cases/process-report';
import { buildReportTarball } from './report-tarball';
import { loadRules } from './rule-files';

class MemoryReports implements ReportRepository {
  readonly items = new Map<string, ReportRecord>();
  async create(report: ReportRecord) {
    this.items.set(report.reportId, report);
  }
  async get(reportId: string) {
    return this.items.get(reportId);
  }
  async listByOwner() {
    return [];
  }
  async markProcessing(reportId: string) {
    return this.move(reportId, ['awaiting-upload'], { status: 'processing' });
  }
  async recordDiagnosis(reportId: string, result: Diagnosis) {
    if (!this.move(reportId, ['processing'], { status: 'diagnosed', result })) throw new Error('not processing');
  }
  async recordFailure(reportId: string, reason: string) {
    return this.move(reportId, ['awaiting-upload', 'processing'], { status: 'failed', reason });
  }
  async reviewQueue() {
    return [];
  }
  private move(reportId: string, from: string[], change: Partial<ReportRecord>): boolean {
    const report = this.items.get(reportId);
    if (!report || !from.includes(report.status)) return false;
    this.items.set(reportId, { ...report, ...change });
    return true;
  }
}

class MemoryUploads implements ReportUploads {
  readonly objects = new Map<string, Buffer>();
  reads = 0;
  async presignPut(key: string, options: { contentLength: number }) {
    return { url: `https://bucket.example/${key}`, headers: { 'content-length': String(options.contentLength) } };
  }
  async sizeOf(key: string) {
    return this.objects.get(key)?.length;
  }
  async read(key: string) {
    this.reads += 1;
    return this.objects.get(key)!;
  }
}

class MemoryIssues implements Pick<KnownIssueStore, 'listCurrent' | 'recordOccurrences'> {
  readonly occurrences: { issueIds: readonly string[]; occurrence: Occurrence }[] = [];
  constructor(private readonly rules: KnownIssue[]) {}
  async listCurrent() {
    return this.rules;
  }
  async recordOccurrences(issueIds: readonly string[], occurrence: Occurrence) {
    this.occurrences.push({ issueIds, occurrence });
  }
}

const rules = loadRules().map((rule) => ({ ...rule, version: 1, scope: 'global' as const, updatedAt: '2026-12-01T00:00:00Z' }));
const clock = new Date('2026-12-01T12:00:00Z');

function setup() {
  const reports = new MemoryReports();
  const uploads = new MemoryUploads();
  const issues = new MemoryIssues(rules);
  const deps = { reports, uploads, issues: issues as unknown as KnownIssueStore, now: () => clock, fleetAgentVersion: '0.1.0' };
  return { reports, uploads, issues, deps };
}

async function uploaded(setupResult: ReturnType<typeof setup>, body: Buffer) {
  const created = await createReport({ ...setupResult.deps, now: () => clock }, 'tenant-AIDAEXAMPLE', { source: 'instance', contentLength: body.length });
  const key = setupResult.reports.items.get(created.reportId)!.objectKey;
  setupResult.uploads.objects.set(key, body);
  return { reportId: created.reportId, key };
}

const DF = 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda1 100 97 3 97% /\n';

describe('processReport', () => {
  it('diagnoses an upload once: the result, one occurrence per match; a repeated event changes nothing', async () => {
    const env = setup();
    const { reportId, key } = await uploaded(env, buildReportTarball({ 'df.txt': DF }));
    expect(await processReport(env.deps, key)).toMatchObject({ outcome: 'diagnosed', matches: 1 });
    expect(env.issues.occurrences).toEqual([{ issueIds: ['disk-full'], occurrence: expect.objectContaining({ reportId, owner: 'tenant-AIDAEXAMPLE' }) }]);
    const stored = env.reports.items.get(reportId)!;
    expect(describeReport(stored, clock, 'user')).toMatchObject({ status: 'diagnosed', result: { matches: [{ issueId: 'disk-full' }] } });

    expect(await processReport(env.deps, key)).toMatchObject({ outcome: 'ignored' });
    expect(env.reports.items.get(reportId)).toBe(stored);
    expect(env.issues.occurrences).toHaveLength(1);
  });

  it('a hostile upload ends failed with the reason and nothing else: no result, no occurrence', async () => {
    const env = setup();
    const tarball = buildReportTarball({ 'df.txt': DF }, { prepare: (dir) => fs.symlinkSync('/etc/shadow', path.join(dir, 'report/files/journal.txt')) });
    const { reportId, key } = await uploaded(env, tarball);
    expect(await processReport(env.deps, key)).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('symbolic link') });
    expect(env.reports.items.get(reportId)).toMatchObject({ status: 'failed', reason: expect.stringContaining('symbolic link') });
    expect(env.reports.items.get(reportId)!.result).toBeUndefined();
    expect(env.issues.occurrences).toEqual([]);
  });

  it('an object over the upload cap fails without being read', async () => {
    const env = setup();
    const { key } = await uploaded(env, Buffer.alloc(17 * 1024 * 1024));
    expect(await processReport(env.deps, key)).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('compressed') });
    expect(env.uploads.reads).toBe(0);
  });

  it('ignores keys that are no report, and an expired report reads expired with no result', async () => {
    const env = setup();
    expect(await processReport(env.deps, 'reports/tenant-x/rpt-0123456789abcdef0/other.bin')).toMatchObject({ outcome: 'ignored' });
    expect(await processReport(env.deps, 'reports/tenant-x/rpt-0123456789abcdef0/report.tar.gz')).toMatchObject({ outcome: 'ignored' });
    const { reportId, key } = await uploaded(env, buildReportTarball({ 'df.txt': DF }));
    await processReport(env.deps, key);
    const later = new Date(clock.getTime() + 31 * 86_400_000);
    expect(describeReport(env.reports.items.get(reportId)!, later, 'user')).toEqual(expect.not.objectContaining({ result: expect.anything() }));
    expect(describeReport(env.reports.items.get(reportId)!, later, 'technician')).toMatchObject({ status: 'expired' });
  });
});
