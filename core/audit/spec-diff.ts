import type { Clause, SpecVersion } from './spec';

export interface ClauseModification {
  readonly clauseId: string;
  /** The top-level clause fields that differ (`check`, `deadlineSeconds`, …). */
  readonly fields: readonly string[];
  readonly before: Clause;
  readonly after: Clause;
}

export interface SpecDiff {
  readonly from: number;
  readonly to: number;
  readonly added: readonly Clause[];
  readonly removed: readonly Clause[];
  readonly modified: readonly ClauseModification[];
}

/** What changed from version `from` to version `to`, clause by clause (either may be the older). */
export function diffSpecs(from: Pick<SpecVersion, 'version' | 'clauses'>, to: Pick<SpecVersion, 'version' | 'clauses'>): SpecDiff {
  const before = new Map(from.clauses.map((clause) => [clause.id, clause]));
  const after = new Map(to.clauses.map((clause) => [clause.id, clause]));
  const modified: ClauseModification[] = [];
  for (const [id, clause] of after) {
    const old = before.get(id);
    if (!old) continue;
    const keys = [...new Set([...Object.keys(old), ...Object.keys(clause)])] as (keyof Clause)[];
    const fields = keys.filter((key) => JSON.stringify(old[key]) !== JSON.stringify(clause[key])).sort();
    if (fields.length > 0) modified.push({ clauseId: id, fields, before: old, after: clause });
  }
  return {
    from: from.version,
    to: to.version,
    added: [...after.values()].filter((clause) => !before.has(clause.id)),
    removed: [...before.values()].filter((clause) => !after.has(clause.id)),
    modified,
  };
}
