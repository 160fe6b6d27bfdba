import type { Host } from '../host';
import { groupHealth } from './group-health';
import type { Health } from './health-level';
import { diskHealth, hostHealth, type HostObservation } from './host-signals';
import { diskId, hostComponentId, rackId, rackOf, topologyOf, zoneId, type Component } from './topology';

export interface ComponentHealth extends Component, Health {}

/** Every component's health for one evaluation: hosts and their disks first, then racks from hosts, zones from racks. */
export function fleetHealth(observations: readonly HostObservation[]): ComponentHealth[] {
  const hosts: Host[] = observations.map((observation) => observation.host);
  const topology = new Map(topologyOf(hosts).map((component) => [component.componentId, component]));
  const health = new Map<string, Health>();
  for (const observation of observations) {
    const { host } = observation;
    const own = hostHealth(observation);
    health.set(hostComponentId(host.hostId), own);
    for (const disk of host.disks ?? []) health.set(diskId(host.hostId, disk.deviceId), diskHealth(disk, own));
  }
  const racks = new Map<string, string[]>();
  for (const host of hosts) {
    const rack = rackId(host.location, rackOf(host));
    racks.set(rack, [...(racks.get(rack) ?? []), hostComponentId(host.hostId)]);
  }
  const zones = new Map<string, string[]>();
  for (const [rack, members] of racks) {
    health.set(rack, groupHealth(rack, members.map((componentId) => ({ componentId, health: health.get(componentId) as Health }))));
    const zone = topology.get(rack)?.parentId ?? zoneId('unknown');
    zones.set(zone, [...(zones.get(zone) ?? []), rack]);
  }
  for (const [zone, members] of zones) {
    health.set(zone, groupHealth(zone, members.map((componentId) => ({ componentId, health: health.get(componentId) as Health }))));
  }
  return [...topology.values()].map((component) => ({ ...component, ...(health.get(component.componentId) as Health) }));
}
