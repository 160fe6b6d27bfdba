import type { Assertion } from './assertion';
import type { Clause, ComponentType, Severity, SpecVersion } from './spec';
import { activeWaiver, type Waiver } from './waiver';

/**
 * Per (component, clause) states (docs/audit.md, "States"): PASS and FAIL as last asserted,
 * SILENT when no assertion arrived within the clause's deadline, WAIVED for a FAIL an active
 * waiver covers.
 */
export const CLAUSE_STATES = ['PASS', 'FAIL', 'SILENT', 'WAIVED'] as const;
export type ClauseState = (typeof CLAUSE_STATES)[number];

export interface Component {
  readonly componentId: string;
  readonly componentType: ComponentType;
}

export interface ClauseStatus extends Component {
  readonly clauseId: string;
  readonly severity: Severity;
  readonly state: ClauseState;
  /** The last assertion's values; absent when none ever arrived. */
  readonly observed?: Assertion['observed'];
  readonly expected?: string;
  readonly at?: string;
  readonly specVersion?: number;
  /** The last assertion was made against an older version than the one evaluated. */
  readonly drift: boolean;
  readonly waiver?: Waiver;
}

export interface EvaluationInput {
  readonly spec: Pick<SpecVersion, 'version' | 'clauses'>;
  /** The latest assertion per (component, clause) at or before `asOf`. */
  readonly latest: readonly Assertion[];
  /** Components expected to assert even if they never did (registered hosts, volumes). */
  readonly inventory?: readonly Component[];
  readonly waivers?: readonly Waiver[];
  readonly asOf: Date;
}

/** Every (component, clause) of the spec for every known component of the clause's type. */
export function evaluate(input: EvaluationInput): ClauseStatus[] {
  const { spec, asOf } = input;
  const latest = new Map(input.latest.map((assertion) => [key(assertion.componentId, assertion.clauseId), assertion]));
  const components = new Map<string, Component>();
  for (const component of [...(input.inventory ?? []), ...input.latest]) {
    components.set(`${component.componentType}|${component.componentId}`, { componentId: component.componentId, componentType: component.componentType });
  }
  const statuses: ClauseStatus[] = [];
  for (const clause of spec.clauses) {
    for (const component of components.values()) {
      if (component.componentType !== clause.componentType) continue;
      statuses.push(statusOf(clause, component, latest.get(key(component.componentId, clause.id)), spec.version, input.waivers ?? [], asOf));
    }
  }
  return statuses;
}

function statusOf(clause: Clause, component: Component, assertion: Assertion | undefined, version: number, waivers: readonly Waiver[], asOf: Date): ClauseStatus {
  const base = { ...component, clauseId: clause.id, severity: clause.severity };
  if (!assertion || Date.parse(assertion.at) < asOf.getTime() - clause.deadlineSeconds * 1000) {
    return { ...base, state: 'SILENT', drift: false, ...(assertion ? valuesOf(assertion) : {}) };
  }
  const drift = assertion.specVersion < version;
  const waiver = assertion.result === 'FAIL' ? activeWaiver(waivers, component.componentId, clause.id, asOf) : undefined;
  const state: ClauseState = waiver ? 'WAIVED' : assertion.result;
  return { ...base, state, drift, ...valuesOf(assertion), ...(waiver ? { waiver } : {}) };
}

const valuesOf = (assertion: Assertion) => ({ observed: assertion.observed, expected: assertion.expected, at: assertion.at, specVersion: assertion.specVersion });
const key = (componentId: string, clauseId: string) => `${componentId}|${clauseId}`;

/** A clause's colour in the report: failing before silent before compliant; unknown when no component of its type is known. */
export type ClauseVerdict = 'failing' | 'silent' | 'compliant' | 'unknown';

export function verdictOf(statuses: readonly ClauseStatus[]): ClauseVerdict {
  if (statuses.length === 0) return 'unknown';
  if (statuses.some((status) => status.state === 'FAIL')) return 'failing';
  if (statuses.some((status) => status.state === 'SILENT')) return 'silent';
  return 'compliant';
}
