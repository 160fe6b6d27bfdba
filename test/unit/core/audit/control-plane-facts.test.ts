import { assertComponents } from '../../../../core/audit/assert-components';
import { excessStatements, observeControlPlane, replicationOf, type VolumeFacts } from '../../../../core/audit/control-plane-facts';
import type { Clause } from '../../../../core/audit/spec';
import { requireOwnComponents } from '../../../../core/audit/use-cases/record-assertions';
import { ForbiddenError } from '../../../../core/errors';

const volume = (extra: Partial<VolumeFacts> = {}): VolumeFacts => ({
  volumeId: 'vol-1', status: 'available', generation: 3,
  copies: [{ hostId: 'h1', role: 'primary' }, { hostId: 'h2', role: 'mirror', inSync: true, inSyncGeneration: 3 }],
  ...extra,
});

describe('control-plane facts', () => {
  it.each([
    ['two copies in sync at the generation on two hosts', volume(), 'two-in-sync-on-distinct-hosts'],
    ['a mirror in sync at an older generation', volume({ copies: [{ hostId: 'h1', role: 'primary' }, { hostId: 'h2', role: 'mirror', inSync: true, inSyncGeneration: 2 }] }), 'mirror-not-in-sync (status available, no reason)'],
    ['both copies on one host', volume({ copies: [{ hostId: 'h1', role: 'primary' }, { hostId: 'h1', role: 'mirror', inSync: true, inSyncGeneration: 3 }] }), 'both-copies-on-one-host'],
    ['a degraded volume that says why', volume({ status: 'degraded', statusReason: 'mirror host lost', copies: [{ hostId: 'h1', role: 'primary' }] }), 'degraded-with-reason'],
    ['a degraded volume without a reason', volume({ status: 'degraded', copies: [{ hostId: 'h1', role: 'primary' }] }), 'no-mirror (status degraded, no reason)'],
  ])('when a volume has %s, replication is observed as %j', (_, facts, expected) => {
    expect(replicationOf(facts)).toBe(expected);
  });

  it('when volumes are creating or deleting, they are not asserted', () => {
    const observed = observeControlPlane({ volumes: [volume({ status: 'creating' }), volume({ volumeId: 'vol-2' })], buckets: [], tables: [], roles: [] });
    expect(observed.map((component) => component.componentId)).toEqual(['volume/vol-2']);
  });

  it('when a policy allows * or service:* on *, each such statement counts; scoped or denying ones do not', () => {
    expect(excessStatements({ Statement: [
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Allow', Action: ['*'], Resource: ['*'] },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' },
      { Effect: 'Deny', Action: '*', Resource: '*' },
    ] })).toBe(2);
  });

  it('when a clause names a property no asserter observed, it gets no assertion (it will show SILENT)', () => {
    const clause = (id: string, property: string): Clause => ({
      id, title: id, componentType: 'table', property, observe: 'o', check: { kind: 'equals', value: 'ENABLED' }, severity: 'durability', deadlineSeconds: 60, rationale: 'r',
    });
    const spec = { version: 4, clauses: [clause('table-pitr', 'table.pitr-status'), clause('table-unknown', 'table.never-observed')] };
    const components = observeControlPlane({ volumes: [], buckets: [], tables: [{ name: 't', sseStatus: 'ENABLED', pitrStatus: 'DISABLED' }], roles: [] });
    expect(assertComponents(spec, components, '2026-12-02T00:00:00.000Z')).toEqual([
      { componentId: 'table/t', componentType: 'table', clauseId: 'table-pitr', specVersion: 4, result: 'FAIL', observed: 'DISABLED', expected: 'equals ENABLED', at: '2026-12-02T00:00:00.000Z' },
    ]);
  });
});

describe('requireOwnComponents', () => {
  const assertion = (componentId: string, componentType: 'storage-host' | 'volume-copy' | 'bucket') => ({
    componentId, componentType, clauseId: 'abc', specVersion: 1, result: 'PASS' as const, observed: 1, expected: 'x', at: '2026-12-02T00:00:00Z',
  });
  it('when a host asserts for itself and its copies, it is accepted; for another host, a copy of another host or a bucket, it is refused', () => {
    expect(() => requireOwnComponents('h1', [assertion('h1', 'storage-host'), assertion('h1/c1', 'volume-copy')])).not.toThrow();
    expect(() => requireOwnComponents('h1', [assertion('h2', 'storage-host')])).toThrow(ForbiddenError);
    expect(() => requireOwnComponents('h1', [assertion('h2/c1', 'volume-copy')])).toThrow(ForbiddenError);
    expect(() => requireOwnComponents('h1', [assertion('bucket/x', 'bucket')])).toThrow(ForbiddenError);
  });
});
