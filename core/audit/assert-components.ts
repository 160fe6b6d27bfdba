import type { Assertion } from './assertion';
import { judge } from './check';
import type { ComponentType, Scalar, SpecVersion } from './spec';

/** What an asserter saw on one component: a value per property it knows, and the component's committed values. */
export interface ObservedComponent {
  readonly componentId: string;
  readonly componentType: ComponentType;
  readonly observed: Readonly<Record<string, Assertion['observed']>>;
  readonly committed?: Readonly<Record<string, Scalar>>;
}

/**
 * One assertion per (component, clause of its type) whose property the asserter observed. A clause
 * whose property no asserter knows gets no assertion, and so shows SILENT: a gap, not a pass.
 */
export function assertComponents(spec: Pick<SpecVersion, 'version' | 'clauses'>, components: readonly ObservedComponent[], at: string): Assertion[] {
  const assertions: Assertion[] = [];
  for (const component of components) {
    for (const clause of spec.clauses) {
      if (clause.componentType !== component.componentType || !(clause.property in component.observed)) continue;
      const observed = component.observed[clause.property];
      const { result, expected } = judge(clause.check, { observed, committed: component.committed });
      assertions.push({ componentId: component.componentId, componentType: component.componentType, clauseId: clause.id, specVersion: spec.version, result, observed, expected, at });
    }
  }
  return assertions;
}
