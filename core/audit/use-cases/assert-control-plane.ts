import { assertComponents } from '../assert-components';
import { CONTROL_PLANE_COMPONENT_TYPES, observeControlPlane, type ControlPlaneFacts } from '../control-plane-facts';
import type { AssertionStore, SpecStore } from '../ports';
import { clausesFor } from '../spec';

/** Reads the real resources the control plane answers for. */
export interface ControlPlaneReader {
  read(): Promise<ControlPlaneFacts>;
}

/** The scheduled control-plane asserter: reads volumes, buckets, tables and roles, and stores its assertions directly. */
export async function assertControlPlane(deps: { specs: SpecStore; assertions: AssertionStore; reader: ControlPlaneReader }, now: Date): Promise<number> {
  const spec = await deps.specs.current();
  if (!spec) return 0;
  const clauses = clausesFor(spec, CONTROL_PLANE_COMPONENT_TYPES);
  if (clauses.length === 0) return 0;
  const assertions = assertComponents({ version: spec.version, clauses }, observeControlPlane(await deps.reader.read()), now.toISOString());
  if (assertions.length > 0) await deps.assertions.record(assertions);
  return assertions.length;
}
