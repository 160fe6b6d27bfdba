import type { FactValue, Facts, LogName } from './facts';
import { LOG_NAMES } from './facts';
import { LogIndex } from './log-index';
import { lineTime } from './parsers/log';
import { requiredLiteral } from './required-literal';
import type { Check, Rule } from './rule';
import { compareVersions } from './version';

/** What one check, or a whole rule, says: true, false, or it cannot tell (an input is missing). */
type Truth = true | false | 'unknown';

/** What a rule looked at, for the result and the technician view. */
export interface Evidence {
  readonly fact?: string;
  readonly value?: FactValue;
  readonly log?: string;
  readonly regex?: string;
  readonly count?: number;
  /** The first matching lines (at most MAX_EVIDENCE_LINES). */
  readonly lines?: readonly string[];
}

export type RuleOutcome = 'matched' | 'clear' | 'insufficient-evidence';

export interface RuleEvaluation {
  readonly ruleId: string;
  readonly outcome: RuleOutcome;
  readonly evidence: readonly Evidence[];
  /** The facts and logs the rule needed but the report lacks. */
  readonly missing: readonly string[];
}

const MAX_EVIDENCE_LINES = 5;

interface LogCheck {
  readonly log: LogName | 'any';
  readonly regex: RegExp;
  readonly literal?: string;
  readonly key: string;
}

interface CheckOutcome {
  readonly truth: Truth;
  readonly evidence: Evidence[];
  readonly missing: string[];
}

/**
 * Evaluates a set of rules against one report's facts. The rules are compiled once (regexes,
 * their prefilter literals); each evaluation indexes each log once for all of them, and a
 * (log, regex, window) check shared by several rules is counted once.
 */
export class RuleEvaluator {
  private readonly logChecks = new Map<string, LogCheck>();

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) this.collect(rule.when);
  }

  evaluate(facts: Facts): RuleEvaluation[] {
    const indexes = new Map<LogName, LogIndex | undefined>();
    const literals = [...this.logChecks.values()].map((check) => check.literal).filter((literal): literal is string => literal !== undefined);
    for (const log of LOG_NAMES) {
      const text = facts.logs.get(log);
      indexes.set(log, text === undefined ? undefined : new LogIndex(text, literals));
    }

    const logResults = new Map<string, { count: number; lines: string[] }>();
    const context: Context = { facts, indexes, logResults };
    return this.rules.map((rule) => {
      if (rule.appliesTo && !rule.appliesTo.includes(facts.source as 'host')) {
        return { ruleId: rule.id, outcome: 'clear', evidence: [], missing: [] };
      }
      const outcome = this.check(rule.when, context);
      return {
        ruleId: rule.id,
        outcome: outcome.truth === true ? 'matched' : outcome.truth === false ? 'clear' : 'insufficient-evidence',
        evidence: outcome.truth === true ? outcome.evidence : [],
        missing: outcome.truth === 'unknown' ? [...new Set(outcome.missing)] : [],
      };
    });
  }

  private collect(check: Check): void {
    if ('all' in check) check.all.forEach((child) => this.collect(child));
    else if ('any' in check) check.any.forEach((child) => this.collect(child));
    else if ('not' in check) this.collect(check.not);
    else if ('log' in check) {
      const key = logCheckKey(check);
      if (!this.logChecks.has(key)) {
        this.logChecks.set(key, {
          log: check.log,
          regex: new RegExp(check.regex, check.ignoreCase ? 'i' : ''),
          literal: requiredLiteral(check.regex),
          key,
        });
      }
    }
  }

  private check(check: Check, context: Context): CheckOutcome {
    if ('all' in check) {
      const parts = check.all.map((child) => this.check(child, context));
      const truth: Truth = parts.some((part) => part.truth === false) ? false : parts.some((part) => part.truth === 'unknown') ? 'unknown' : true;
      return combine(truth, parts);
    }
    if ('any' in check) {
      const parts = check.any.map((child) => this.check(child, context));
      const truth: Truth = parts.some((part) => part.truth === true) ? true : parts.some((part) => part.truth === 'unknown') ? 'unknown' : false;
      return combine(truth, truth === true ? parts.filter((part) => part.truth === true) : parts);
    }
    if ('not' in check) {
      const inner = this.check(check.not, context);
      return { truth: inner.truth === 'unknown' ? 'unknown' : !inner.truth, evidence: inner.evidence, missing: inner.missing };
    }
    if ('log' in check) return this.logCheck(check, context);
    return factCheck(check, context.facts);
  }

  private logCheck(check: Extract<Check, { log: string }>, context: Context): CheckOutcome {
    const compiled = this.logChecks.get(logCheckKey(check))!;
    // `any` is every log there is, each scanned once for all rules, the counts added.
    const present = (check.log === 'any' ? LOG_NAMES : [check.log]).map((log) => context.indexes.get(log)).filter((index) => index !== undefined);
    if (present.length === 0) return { truth: 'unknown', evidence: [], missing: [`log:${check.log}`] };
    let result = context.logResults.get(compiled.key);
    if (!result) {
      const parts = present.map((index) => countMatches(index, compiled, check.withinMinutes, context.facts.collectedAt));
      result = { count: parts.reduce((sum, part) => sum + part.count, 0), lines: parts.flatMap((part) => part.lines).slice(0, MAX_EVIDENCE_LINES) };
      context.logResults.set(compiled.key, result);
    }
    const { count, lines } = result;
    const truth = count >= (check.minCount ?? 1);
    return { truth, evidence: [{ log: check.log, regex: check.regex, count, lines }], missing: [] };
  }
}

interface Context {
  readonly facts: Facts;
  readonly indexes: ReadonlyMap<LogName, LogIndex | undefined>;
  readonly logResults: Map<string, { count: number; lines: string[] }>;
}

function logCheckKey(check: Extract<Check, { log: string }>): string {
  return JSON.stringify([check.log, check.regex, check.ignoreCase ?? false, check.withinMinutes ?? 0]);
}

function countMatches(index: LogIndex, check: LogCheck, withinMinutes: number | undefined, collectedAt: Date) {
  const since = withinMinutes === undefined ? undefined : collectedAt.getTime() - withinMinutes * 60_000;
  const candidates: Iterable<number> = check.literal !== undefined ? index.linesWith(check.literal) : range(index.lineCount);
  let count = 0;
  const lines: string[] = [];
  for (const number of candidates) {
    const line = index.line(number);
    if (!check.regex.test(line)) continue;
    if (since !== undefined) {
      const at = lineTime(line, collectedAt);
      if (at === undefined || at < since || at > collectedAt.getTime() + 60_000) continue;
    }
    count += 1;
    if (lines.length < MAX_EVIDENCE_LINES) lines.push(line.slice(0, 500));
  }
  return { count, lines };
}

function* range(count: number): Generator<number> {
  for (let i = 0; i < count; i += 1) yield i;
}

function combine(truth: Truth, parts: readonly CheckOutcome[]): CheckOutcome {
  return { truth, evidence: parts.flatMap((part) => part.evidence), missing: parts.flatMap((part) => part.missing) };
}

function factCheck(check: Exclude<Check, { log: string } | { all: unknown } | { any: unknown } | { not: unknown }>, facts: Facts): CheckOutcome {
  const value = facts.values.get(check.fact);
  if (value === undefined) return { truth: 'unknown', evidence: [], missing: [check.fact] };
  const evidence: Evidence[] = [{ fact: check.fact, value }];
  if ('present' in check) {
    const isPresent = Array.isArray(value) ? value.length > 0 : value !== '';
    return { truth: isPresent === check.present, evidence, missing: [] };
  }
  if ('equals' in check) return { truth: value === check.equals, evidence, missing: [] };
  if ('range' in check) {
    if (typeof value !== 'number') return { truth: false, evidence, missing: [] };
    const { min, max } = check.range;
    return { truth: (min === undefined || value >= min) && (max === undefined || value <= max), evidence, missing: [] };
  }
  if (typeof value !== 'string') return { truth: false, evidence, missing: [] };
  const { min, below, belowFact } = check.version;
  let limit = below;
  if (belowFact !== undefined) {
    const reference = facts.values.get(belowFact);
    if (typeof reference !== 'string') return { truth: 'unknown', evidence, missing: [belowFact] };
    evidence.push({ fact: belowFact, value: reference });
    limit = limit === undefined || compareVersions(reference, limit) < 0 ? reference : limit;
  }
  const truth = (min === undefined || compareVersions(value, min) >= 0) && (limit === undefined || compareVersions(value, limit) < 0);
  return { truth, evidence, missing: [] };
}
