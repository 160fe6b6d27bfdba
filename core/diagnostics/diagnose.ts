import { errorSignals, type ErrorSignals } from './error-signals';
import type { Evidence, RuleEvaluator } from './evaluate-rules';
import type { FactValue } from './facts';
import { parseReport } from './parse-report';
import type { Manifest, UnpackedReport } from './report-format';
import type { Rule } from './rule';
import { SEVERITIES } from './rule';

export interface Match {
  readonly issueId: string;
  readonly version: number;
  readonly title: string;
  readonly severity: Rule['severity'];
  readonly cause: string;
  /** Ranked: `rank` 1 is the one to try first. */
  readonly solutions: readonly (Rule['solutions'][number] & { readonly rank: number })[];
  readonly evidence: readonly Evidence[];
}

/** The read-only result stored with a diagnosed report (docs/diagnostics.md, "Result"). */
export interface Diagnosis {
  readonly source: Manifest['source'];
  readonly hostname: string;
  readonly collectedAt: string;
  readonly collectors: readonly { readonly name: string; readonly status: string; readonly error?: string }[];
  readonly rulesEvaluated: number;
  /** Most severe first. */
  readonly matches: readonly Match[];
  /** Rules that could not be decided because an input was missing ("insufficient evidence"). */
  readonly insufficientEvidence: readonly { readonly issueId: string; readonly title: string; readonly missing: readonly string[] }[];
  readonly errorSignals: ErrorSignals;
  /** Errors in the logs but no rule matched: the report waits in the review queue. */
  readonly needsReview: boolean;
}

export type VersionedRule = Rule & { readonly version?: number };

/** Parses the report, evaluates the rules and builds the result. */
export function diagnose(report: UnpackedReport, evaluator: RuleEvaluator, known: Readonly<Record<string, FactValue>> = {}): Diagnosis {
  const facts = parseReport(report, known);
  const evaluations = evaluator.evaluate(facts);
  const rules = new Map((evaluator.rules as readonly VersionedRule[]).map((rule) => [rule.id, rule]));
  const matches: Match[] = [];
  const insufficientEvidence: Diagnosis['insufficientEvidence'][number][] = [];
  for (const evaluation of evaluations) {
    const rule = rules.get(evaluation.ruleId)!;
    if (evaluation.outcome === 'matched') {
      matches.push({
        issueId: rule.id,
        version: rule.version ?? 1,
        title: rule.title,
        severity: rule.severity,
        cause: rule.cause,
        solutions: rule.solutions.map((solution, index) => ({ rank: index + 1, ...solution })),
        evidence: evaluation.evidence,
      });
    } else if (evaluation.outcome === 'insufficient-evidence') {
      insufficientEvidence.push({ issueId: rule.id, title: rule.title, missing: evaluation.missing });
    }
  }
  matches.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.issueId.localeCompare(b.issueId));
  const signals = errorSignals(facts);
  return {
    source: report.manifest.source,
    hostname: report.manifest.hostname,
    collectedAt: report.manifest.collectedAt,
    collectors: report.manifest.collectors.map(({ name, status, error }) => ({ name, status, ...(error ? { error } : {}) })),
    rulesEvaluated: evaluations.length,
    matches,
    insufficientEvidence,
    errorSignals: signals,
    needsReview: matches.length === 0 && signals.count > 0,
  };
}
