import { randomUUID } from 'node:crypto';
import type { ComplianceReport } from '../../../core/audit/report-content';
import type { Clause, SpecVersion } from '../../../core/audit/spec';
import { ok } from '../../../client/blockplane-api';
import type { DemoContext } from '../demo-context';

/** Asks for a compliance report of the demo's hosts, waits for its workflow and downloads it through its presigned URL. */
async function complianceReport(demo: DemoContext, componentIds: readonly string[]): Promise<ComplianceReport> {
  const now = Date.now();
  const scope = { componentIds, componentType: 'storage-host' };
  const { reportId } = ok<{ reportId: string }>(await demo.operator.request('POST', '/compliance-reports', { scope, from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 1_000).toISOString(), format: 'json' }));
  const ready = await demo.story.until(`compliance report ${reportId}`, async () => {
    const view = ok<{ status: string; url?: string; failure?: string }>(await demo.operator.request('GET', `/compliance-reports/${reportId}`));
    if (view.status === 'failed') throw new Error(`compliance report failed: ${view.failure ?? ''}`);
    return view.status === 'ready' ? view : undefined;
  });
  return (await (await fetch(ready.url!)).json()) as ComplianceReport;
}

/** An operator publishes a clause every host breaks (one injected failure); the hosts' agents assert it and the compliance report shows the FAIL; the clause is withdrawn again. */
export async function audit(demo: DemoContext, liveHostIds: readonly string[]): Promise<void> {
  const { story, operator } = demo;
  story.chapter('6. Audit against the specification, with one injected failure');
  const current = ok<SpecVersion>(await operator.request('GET', '/specs/current'));
  const template = current.clauses.find((clause) => clause.id === 'host-agent-version-supported') as Clause;
  const injected = `demo-agent-pinned-${randomUUID().slice(0, 8)}`;
  const published = ok<SpecVersion>(
    await operator.request('POST', '/specs/changes', {
      changes: [{ op: 'add', clause: { ...template, id: injected, title: 'demo: the agent is pinned to 9.9.9', check: { kind: 'equals', value: '9.9.9' } } }],
      reason: 'demo: one clause every host breaks',
    }),
  );
  story.log(`spec version ${current.version} → ${published.version}: added ${injected} (agent version must equal 9.9.9)`);
  try {
    const report = await story.until('the agents to assert the new clause', async () => {
      const seen = await complianceReport(demo, liveHostIds);
      const clause = seen.clauses.find((entry) => entry.clause.id === injected);
      const asserted = clause?.statuses.filter((status) => status.state === 'PASS' || status.state === 'FAIL') ?? [];
      return asserted.length === liveHostIds.length ? seen : undefined;
    });
    const counts = { PASS: 0, FAIL: 0, other: 0 };
    for (const clause of report.clauses) {
      for (const status of clause.statuses) {
        if (status.state === 'PASS') counts.PASS += 1;
        else if (status.state === 'FAIL') counts.FAIL += 1;
        else counts.other += 1;
      }
    }
    const failing = report.clauses.filter((clause) => clause.statuses.some((status) => status.state === 'FAIL'));
    for (const clause of failing) story.log(`  FAIL ${clause.clause.id}: ${clause.statuses.map((status) => `${status.componentId} observed ${JSON.stringify(status.observed)}`).join(', ')}`);
    story.prove({
      chapter: 'audit',
      proves: 'the compliance report finds exactly the injected failure',
      figures: `${report.clauses.length} clauses × ${liveHostIds.length} hosts: ${counts.PASS} PASS, ${counts.FAIL} FAIL, ${counts.other} other`,
      ok: failing.length === 1 && failing[0].clause.id === injected,
    });
  } finally {
    ok(await operator.request('POST', '/specs/changes', { changes: [{ op: 'remove', clauseId: injected }], reason: 'demo: withdraw the injected clause' }));
  }
}
