import type { Host } from '../host';
import type { VolumeType } from '../volume';

/**
 * Components and their groups (docs/health.md, "Topology"): disk → host → rack → zone. Ids are
 * `zone:<zone>`, `rack:<zone>.<rack>`, `host:<hostId>`, `disk:<hostId>.<deviceId>` (characters of the device id
 * outside letters, digits, `_` and `-` become `_`, so every id is one URL path segment); a host
 * registered without a rack is in the zone's rack `default`.
 */
export const COMPONENT_KINDS = ['disk', 'host', 'rack', 'zone'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

export const DEFAULT_RACK = 'default';

export interface Component {
  readonly componentId: string;
  readonly kind: ComponentKind;
  /** The group this component is a member of (a zone has none). */
  readonly parentId?: string;
  readonly zone: string;
}

export const zoneId = (zone: string) => `zone:${zone}`;
export const rackId = (zone: string, rack: string) => `rack:${zone}.${rack}`;
export const hostComponentId = (hostId: string) => `host:${hostId}`;
export const diskId = (hostId: string, deviceId: string) => `disk:${hostId}.${deviceId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

export const COMPONENT_ID_PATTERN = /^(zone:[a-z0-9-]{1,64}|rack:[a-z0-9-]{1,64}\.[a-z0-9-]{1,64}|host:[a-z0-9-]{3,63}|disk:[a-z0-9-]{3,63}\.[A-Za-z0-9_-]{1,128})$/;

/** The host's rack as registered, or `default`. */
export const rackOf = (host: Pick<Host, 'rack'>): string => host.rack ?? DEFAULT_RACK;

/** Every component the hosts make up, members before their groups. */
export function topologyOf(hosts: readonly Host[]): Component[] {
  const disks: Component[] = [];
  const hostComponents: Component[] = [];
  const racks = new Map<string, Component>();
  const zones = new Map<string, Component>();
  for (const host of hosts) {
    const zone = host.location;
    const rack = rackId(zone, rackOf(host));
    const self = hostComponentId(host.hostId);
    for (const disk of host.disks ?? []) disks.push({ componentId: diskId(host.hostId, disk.deviceId), kind: 'disk', parentId: self, zone });
    hostComponents.push({ componentId: self, kind: 'host', parentId: rack, zone });
    racks.set(rack, { componentId: rack, kind: 'rack', parentId: zoneId(zone), zone });
    zones.set(zoneId(zone), { componentId: zoneId(zone), kind: 'zone', zone });
  }
  return [...disks, ...hostComponents, ...racks.values(), ...zones.values()];
}

/** The components a copy on `host` depends on: the host, its rack and its zone. */
export function componentsUnder(host: Pick<Host, 'hostId' | 'location' | 'rack'>): string[] {
  return [hostComponentId(host.hostId), rackId(host.location, rackOf(host)), zoneId(host.location)];
}

/**
 * The components a copy of a `type` volume on `host` depends on: the disk that holds it
 * (`deviceId`, recorded since placement per disk), or else each of the host's registered disks of
 * that type (any may hold it); then the host, its rack and its zone.
 */
export function componentsOfCopy(host: Pick<Host, 'hostId' | 'location' | 'rack' | 'disks'>, type: VolumeType, deviceId?: string): string[] {
  const ofType = (host.disks ?? []).filter((disk) => disk.type === type);
  const holding = ofType.filter((disk) => disk.deviceId === deviceId);
  const disks = (holding.length > 0 ? holding : ofType).map((disk) => diskId(host.hostId, disk.deviceId));
  return [...disks, ...componentsUnder(host)];
}

/**
 * Whether a copy on `host` (of a `type` volume, on `deviceId` where recorded) depends on a component
 * that covers the host: always for the host and its groups; for a disk, only a copy that disk may
 * hold ({@link componentsOfCopy}), so a failed hdd disk concerns no ssd volume.
 */
export function copyDependsOn(componentId: string, host: Pick<Host, 'hostId' | 'location' | 'rack' | 'disks'>, copy: { readonly type?: VolumeType; readonly deviceId?: string }): boolean {
  if (kindOf(componentId) !== 'disk' || copy.type === undefined) return true;
  return componentsOfCopy(host, copy.type, copy.deviceId).includes(componentId);
}

/** A component's kind, from its id. */
export const kindOf = (componentId: string): ComponentKind => componentId.slice(0, componentId.indexOf(':')) as ComponentKind;

/** The host ids a component covers (a disk or host: its own host; a rack or zone: its members). */
export function hostsCoveredBy(componentId: string, hosts: readonly Host[]): Host[] {
  return hosts.filter((host) => componentsUnder(host).includes(componentId) || componentId.startsWith(`disk:${host.hostId}.`));
}
