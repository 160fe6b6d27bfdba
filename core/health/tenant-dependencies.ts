import type { Host } from '../host';
import type { VolumeType } from '../volume';
import { componentsOfCopy, hostComponentId } from './topology';

/** One of a tenant's volumes: its type, the hosts of its copies, and the disk holding the copy on each host where it was recorded. */
export interface TenantVolume {
  readonly volumeId: string;
  readonly type: VolumeType;
  readonly hostIds: readonly string[];
  readonly diskOnHost?: Readonly<Record<string, string>>;
}

/** A component some of the tenant's volumes depend on, and through which of their copies' hosts. */
export interface TenantDependency {
  readonly componentId: string;
  readonly volumeIds: readonly string[];
  readonly hostIds: readonly string[];
}

/**
 * Every component the tenant's volumes depend on (docs/health.md, "Comments and correlation"):
 * for each copy, the disk that holds it (or, for a copy placed before disks were recorded, each of
 * its host's disks of the volume's type), the host, its rack and its zone. A host missing from
 * `hosts` (deregistered) contributes itself only.
 */
export function dependenciesOfTenant(volumes: readonly TenantVolume[], hosts: ReadonlyMap<string, Host>): TenantDependency[] {
  const byComponent = new Map<string, { volumeIds: Set<string>; hostIds: Set<string> }>();
  for (const volume of volumes) {
    for (const hostId of volume.hostIds) {
      const host = hosts.get(hostId);
      for (const componentId of host ? componentsOfCopy(host, volume.type, volume.diskOnHost?.[hostId]) : [hostComponentId(hostId)]) {
        const entry = byComponent.get(componentId) ?? { volumeIds: new Set<string>(), hostIds: new Set<string>() };
        entry.volumeIds.add(volume.volumeId);
        entry.hostIds.add(hostId);
        byComponent.set(componentId, entry);
      }
    }
  }
  return [...byComponent].map(([componentId, { volumeIds, hostIds }]) => ({ componentId, volumeIds: [...volumeIds], hostIds: [...hostIds] }));
}
