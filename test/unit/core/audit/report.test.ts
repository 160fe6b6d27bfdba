import { evaluate } from '../../../../core/audit/evaluation';
import { buildReport } from '../../../../core/audit/report-content';
import { renderReport } from '../../../../core/audit/report-render';
import type { Clause } from '../../../../core/audit/spec';

const clause = (id: string, extra: Partial<Clause> = {}): Clause => ({
  id, title: `<b>${id}</b>`, componentType: 'volume-copy', property: 'copy.p', observe: 'o', check: { kind: 'equals', value: true },
  severity: 'durability', deadlineSeconds: 60, rationale: 'r', ...extra,
});
const spec = { version: 3, clauses: [clause('copy-a'), clause('copy-b'), clause('bucket-x', { componentType: 'bucket' })] };
const at = '2026-12-02T00:59:50Z';
const statuses = evaluate({
  spec,
  latest: [
    { componentId: 'c1', componentType: 'volume-copy', clauseId: 'copy-a', specVersion: 3, result: 'PASS', observed: true, expected: 'equals true', at },
    { componentId: 'c1', componentType: 'volume-copy', clauseId: 'copy-b', specVersion: 3, result: 'FAIL', observed: '=cmd()', expected: 'equals true', at },
  ],
  asOf: new Date('2026-12-02T01:00:00Z'),
});
const report = buildReport({ reportId: 'r1', spec, statuses, scope: {}, from: '2026-12-02T00:00:00Z', to: '2026-12-02T01:00:00Z', generatedAt: '2026-12-02T01:00:01Z' });

describe('compliance reports', () => {
  it('when built, each clause has its verdict and counts', () => {
    expect(report.clauses.map((c) => [c.clause.id, c.verdict, c.counts.FAIL])).toEqual([['copy-a', 'compliant', 0], ['copy-b', 'failing', 1], ['bucket-x', 'unknown', 0]]);
  });

  it('when scoped to a severity or clause ids, it keeps only those clauses', () => {
    const scoped = buildReport({ ...report, spec, statuses, scope: { clauseIds: ['copy-b'] }, generatedAt: report.generatedAt });
    expect(scoped.clauses.map((c) => c.clause.id)).toEqual(['copy-b']);
  });

  it('when rendered as CSV, it has one row per (clause, component) and neutralises formulas', () => {
    const csv = renderReport(report, 'csv').body.trim().split('\r\n');
    expect(csv[0]).toBe('clauseId,severity,verdict,componentType,componentId,state,drift,specVersion,observed,expected,at,waivedUntil');
    expect(csv).toHaveLength(4);
    expect(csv[2]).toContain(`copy-b,durability,failing,volume-copy,c1,FAIL,false,3,'=cmd(),equals true,${at},`);
  });

  it('when rendered as HTML, it colours every clause, lists the failing component and escapes text', () => {
    const html = renderReport(report, 'html').body;
    expect(html).toContain('data-clause-id="copy-b" data-verdict="failing"');
    expect(html).toContain('data-clause-id="bucket-x" data-verdict="unknown"');
    expect(html).toContain('data-component-id="c1" data-state="FAIL"');
    expect(html).toContain('&lt;b&gt;copy-a&lt;/b&gt;');
    expect(html).not.toContain('<b>copy-a</b>');
  });

  it('when rendered as JSON, it parses back to the report', () => {
    expect(JSON.parse(renderReport(report, 'json').body)).toEqual(JSON.parse(JSON.stringify(report)));
  });
});
