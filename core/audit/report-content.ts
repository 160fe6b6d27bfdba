import { verdictOf, type ClauseStatus, type ClauseVerdict } from './evaluation';
import type { ReportScope } from './report-request';
import type { Clause, SpecVersion } from './spec';

/** One clause of a report: the clause, its colour, and every component's status on it. */
export interface ReportClause {
  readonly clause: Clause;
  readonly verdict: ClauseVerdict;
  readonly counts: Readonly<Record<ClauseStatus['state'], number>>;
  readonly statuses: readonly ClauseStatus[];
}

export interface ComplianceReport {
  readonly reportId: string;
  readonly specVersion: number;
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  readonly scope: ReportScope;
  readonly clauses: readonly ReportClause[];
}

/** The report's content: the spec's clauses in scope, each with the statuses of the components in scope. */
export function buildReport(args: {
  reportId: string;
  spec: Pick<SpecVersion, 'version' | 'clauses'>;
  statuses: readonly ClauseStatus[];
  scope: ReportScope;
  from: string;
  to: string;
  generatedAt: string;
}): ComplianceReport {
  const { scope } = args;
  const clauses = args.spec.clauses.filter(
    (clause) =>
      (!scope.componentType || clause.componentType === scope.componentType) &&
      (!scope.severity || clause.severity === scope.severity) &&
      (!scope.clauseIds || scope.clauseIds.includes(clause.id)),
  );
  const inScope = (status: ClauseStatus) => !scope.componentIds || scope.componentIds.includes(status.componentId);
  return {
    reportId: args.reportId,
    specVersion: args.spec.version,
    from: args.from,
    to: args.to,
    generatedAt: args.generatedAt,
    scope,
    clauses: clauses.map((clause) => {
      const statuses = args.statuses.filter((status) => status.clauseId === clause.id && inScope(status));
      const counts = { PASS: 0, FAIL: 0, SILENT: 0, WAIVED: 0 };
      for (const status of statuses) counts[status.state] += 1;
      return { clause, verdict: verdictOf(statuses), counts, statuses };
    }),
  };
}
