import type { ObservedComponent } from './assert-components';
import type { ComponentType } from './spec';

/** The component types the control plane's scheduled asserter covers (docs/audit.md, "Asserters"). */
export const CONTROL_PLANE_COMPONENT_TYPES: readonly ComponentType[] = ['volume', 'bucket', 'table', 'function-role'];

/** What the asserter reads about one volume (from the volumes table). */
export interface VolumeFacts {
  readonly volumeId: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly generation: number;
  readonly copies: readonly { readonly hostId: string; readonly role: string; readonly inSync?: boolean; readonly inSyncGeneration?: number }[];
}

export interface BucketFacts {
  readonly name: string;
  readonly publicAccessBlocked: boolean;
  readonly deniesNonTls: boolean;
}

export interface TableFacts {
  readonly name: string;
  /** `SSEDescription.Status`, or `AWS_OWNED` when DynamoDB reports none (the default AWS-owned key). */
  readonly sseStatus: string;
  readonly pitrStatus: string;
}

export interface RoleFacts {
  readonly name: string;
  /** Statements allowing `*` or `<service>:*` on resource `*`, and managed policies other than the basic execution role. */
  readonly excessGrants: number;
}

export interface ControlPlaneFacts {
  readonly volumes: readonly VolumeFacts[];
  readonly buckets: readonly BucketFacts[];
  readonly tables: readonly TableFacts[];
  readonly roles: readonly RoleFacts[];
}

/** Volumes on their way in or out make no promise about copies yet. */
const TRANSIENT = new Set(['creating', 'deleting', 'deleted']);
const DEGRADED = new Set(['degraded', 'error']);

/**
 * `volume.replication`: `two-in-sync-on-distinct-hosts` when the primary and a mirror in sync at the
 * current generation sit on two hosts; `degraded-with-reason` for a degraded volume that says why;
 * otherwise what is wrong, in words.
 */
export function replicationOf(volume: VolumeFacts): string {
  const primary = volume.copies.find((copy) => copy.role === 'primary');
  const mirror = volume.copies.find((copy) => copy.role === 'mirror');
  if (primary && mirror && mirror.hostId !== primary.hostId && mirror.inSync === true && mirror.inSyncGeneration === volume.generation) {
    return 'two-in-sync-on-distinct-hosts';
  }
  if (DEGRADED.has(volume.status) && volume.statusReason) return 'degraded-with-reason';
  if (!primary) return 'no-primary';
  if (!mirror) return `no-mirror (status ${volume.status}${volume.statusReason ? '' : ', no reason'})`;
  if (mirror.hostId === primary.hostId) return 'both-copies-on-one-host';
  return `mirror-not-in-sync (status ${volume.status}${volume.statusReason ? '' : ', no reason'})`;
}

/** The facts as observed components, one per volume, bucket, table and role. */
export function observeControlPlane(facts: ControlPlaneFacts): ObservedComponent[] {
  return [
    ...facts.volumes
      .filter((volume) => !TRANSIENT.has(volume.status))
      .map((volume) => ({ componentId: `volume/${volume.volumeId}`, componentType: 'volume' as const, observed: { 'volume.replication': replicationOf(volume) } })),
    ...facts.buckets.map((bucket) => ({
      componentId: `bucket/${bucket.name}`,
      componentType: 'bucket' as const,
      observed: { 'bucket.public-access-blocked': bucket.publicAccessBlocked, 'bucket.policy.denies-non-tls': bucket.deniesNonTls },
    })),
    ...facts.tables.map((table) => ({
      componentId: `table/${table.name}`,
      componentType: 'table' as const,
      observed: { 'table.sse-status': table.sseStatus, 'table.pitr-status': table.pitrStatus },
    })),
    ...facts.roles.map((role) => ({ componentId: `role/${role.name}`, componentType: 'function-role' as const, observed: { 'role.excess-grants': role.excessGrants } })),
  ];
}

/** Policy statements that grant more than a function needs: an action `*` or `<service>:*` on resource `*`. */
export function excessStatements(document: { Statement?: unknown }): number {
  const statements = Array.isArray(document.Statement) ? document.Statement : document.Statement ? [document.Statement] : [];
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);
  return statements.filter((statement: { Effect?: string; Action?: unknown; Resource?: unknown }) => {
    if (statement.Effect !== 'Allow') return false;
    const wildAction = list(statement.Action).some((action) => action === '*' || /^[a-z0-9-]+:\*$/i.test(action));
    return wildAction && list(statement.Resource).includes('*');
  }).length;
}
