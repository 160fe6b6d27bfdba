import { NotFoundError } from '../../errors';
import type { HostRepository, VolumeRepository } from '../../ports';
import { VolumeStatus } from '../../volume-status';
import { eventForTenant } from '../health-event';
import type { HealthStore } from '../ports';
import { componentsUnder, hostComponentId } from '../topology';

export interface DescribeVolumeHealthDeps {
  readonly store: HealthStore;
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
}

/**
 * What a customer sees of the infrastructure under one of its volumes: each copy's host, rack
 * and zone with level, score and reasons, and the open events that affect the volume. Another
 * tenant's volume is 404.
 */
export async function describeVolumeHealth(deps: DescribeVolumeHealthDeps, tenantId: string, volumeId: string) {
  const volume = await deps.volumes.get(volumeId);
  if (!volume || volume.tenantId !== tenantId || volume.status === VolumeStatus.deleted) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  const componentIds = new Set<string>();
  for (const copy of volume.copies) {
    const host = await deps.hosts.get(copy.hostId);
    for (const id of host ? componentsUnder(host) : [hostComponentId(copy.hostId)]) componentIds.add(id);
  }
  const components = await Promise.all(
    [...componentIds].map(async (componentId) => {
      const record = await deps.store.getComponent(componentId);
      return { componentId, kind: componentId.split(':')[0], level: record?.level ?? 'unknown', score: record?.score ?? null, reasons: record?.reasons ?? [], evaluatedAt: record?.evaluatedAt ?? null };
    }),
  );
  const worst = components.some((c) => c.level === 'red') ? 'red' : components.some((c) => c.level === 'yellow') ? 'yellow' : components.every((c) => c.level === 'green') ? 'green' : 'unknown';
  const events = (await deps.store.openEventsOfTenant(tenantId)).filter((event) => event.affectedEntities.some((entity) => entity.entityValue === volumeId));
  return { volumeId, level: worst, components, openEvents: events.map((event) => eventForTenant(event, tenantId)) };
}
