import { HostStatus, type Host } from './host';

/** Active hosts whose last heartbeat is older than `timeoutSeconds` at `now`. */
export function silentHosts(hosts: readonly Host[], now: Date, timeoutSeconds: number): Host[] {
  const cutoff = now.getTime() - timeoutSeconds * 1000;
  return hosts.filter((host) => host.status === HostStatus.active && Date.parse(host.lastHeartbeatAt) < cutoff);
}
