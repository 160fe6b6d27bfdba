import { SpecChangeRefusedError } from './errors';
import { SpecDocumentSchema, type Clause, type SpecChange, type SpecDocument, type SpecVersion } from './spec';

/** Who asks for a new version, and why. */
export interface SpecChangeRequest {
  readonly changes: readonly SpecChange[];
  readonly reason: string;
  readonly author: string;
  readonly at: string;
}

/**
 * The next version after `current` (or the first when there is none): the changes applied in
 * order, each refusing what does not fit (add an existing id, remove or modify a missing one,
 * a change that changes nothing). `current` is never altered: old versions are immutable.
 */
export function nextSpecVersion(current: SpecVersion | undefined, request: SpecChangeRequest): SpecVersion {
  if (request.changes.length === 0) throw new SpecChangeRefusedError('a spec change needs at least one change');
  const clauses = new Map<string, Clause>((current?.clauses ?? []).map((clause) => [clause.id, clause]));
  request.changes.forEach((change, index) => {
    const at = `changes[${index}]`;
    switch (change.op) {
      case 'add':
        if (clauses.has(change.clause.id)) throw new SpecChangeRefusedError(`${at}: clause ${change.clause.id} exists; modify it instead`, { clauseId: change.clause.id });
        clauses.set(change.clause.id, change.clause);
        return;
      case 'remove':
        if (!clauses.delete(change.clauseId)) throw new SpecChangeRefusedError(`${at}: there is no clause ${change.clauseId} to remove`, { clauseId: change.clauseId });
        return;
      case 'modify': {
        const before = clauses.get(change.clause.id);
        if (!before) throw new SpecChangeRefusedError(`${at}: there is no clause ${change.clause.id} to modify; add it instead`, { clauseId: change.clause.id });
        if (JSON.stringify(before) === JSON.stringify(change.clause)) throw new SpecChangeRefusedError(`${at}: clause ${change.clause.id} is unchanged`, { clauseId: change.clause.id });
        clauses.set(change.clause.id, change.clause);
        return;
      }
      default:
        throw new Error(`unknown spec change ${JSON.stringify((change as { op: unknown }).op)}`);
    }
  });
  const document = SpecDocumentSchema.parse({ clauses: [...clauses.values()] });
  return {
    version: (current?.version ?? 0) + 1,
    clauses: document.clauses,
    author: request.author,
    createdAt: request.at,
    reason: request.reason,
    changes: request.changes,
  };
}

/** The changes that turn `current` into `document` (what a deploy of spec/blockplane.json publishes); none when they agree. */
export function changesToReach(current: Pick<SpecVersion, 'clauses'> | undefined, document: SpecDocument): SpecChange[] {
  const before = new Map((current?.clauses ?? []).map((clause) => [clause.id, clause]));
  const after = new Set(document.clauses.map((clause) => clause.id));
  const changes: SpecChange[] = [];
  for (const clause of document.clauses) {
    const old = before.get(clause.id);
    if (!old) changes.push({ op: 'add', clause });
    else if (JSON.stringify(old) !== JSON.stringify(clause)) changes.push({ op: 'modify', clause });
  }
  for (const id of before.keys()) if (!after.has(id)) changes.push({ op: 'remove', clauseId: id });
  return changes;
}
