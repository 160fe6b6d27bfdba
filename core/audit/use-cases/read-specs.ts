import { NotFoundError } from '../../errors';
import type { SpecStore } from '../ports';
import { clausesFor, type ComponentType, type SpecVersion } from '../spec';
import { diffSpecs, type SpecDiff } from '../spec-diff';

/** The strong ETag of a version as one set of component types sees it. */
export const specEtag = (version: number, types: readonly ComponentType[] | undefined) =>
  `"v${version}${types ? `-${[...types].sort().join('+')}` : ''}"`;

export async function currentSpec(specs: SpecStore, types?: readonly ComponentType[]): Promise<{ spec: SpecVersion; etag: string }> {
  const spec = await specs.current();
  if (!spec) throw new NotFoundError('no spec version is published yet');
  return { spec: types ? { ...spec, clauses: clausesFor(spec, types) } : spec, etag: specEtag(spec.version, types) };
}

export async function specVersion(specs: SpecStore, version: number): Promise<SpecVersion> {
  const spec = await specs.get(version);
  if (!spec) throw new NotFoundError(`spec version ${version} does not exist`, { version });
  return spec;
}

export async function specDiff(specs: SpecStore, from: number, to: number): Promise<SpecDiff> {
  const [a, b] = await Promise.all([specVersion(specs, from), specVersion(specs, to)]);
  return diffSpecs(a, b);
}
