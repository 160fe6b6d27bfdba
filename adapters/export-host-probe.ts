import type { HostProbe } from '../core/health/ports';
import type { ProbeResult } from '../core/health/host-signals';
import type { Host } from '../core/host';
import type { VolumeRepository, HostRepository } from '../core/ports';
import type { EndpointReach } from './endpoint-reach';

/** Most of a quiet host's exports one probe tries. */
export const PROBED_EXPORTS = 3;

/**
 * The pull side of health: whether one of a quiet host's NBD exports (the ports its copies serve,
 * from the volume records) still takes a TCP connection. A handshake means the storage daemons
 * still serve even though the agent is silent; a refusal or timeout means they do not. A host
 * with no known export cannot be probed and counts as not answering; a probe that could not run
 * is `failed`. Where the connection is made from is the `reach`'s: this process, or a function
 * inside the hosts' VPC.
 */
export class ExportHostProbe implements HostProbe {
  constructor(
    private readonly hosts: HostRepository,
    private readonly volumes: VolumeRepository,
    private readonly reach: EndpointReach,
  ) {}

  async probe(host: Host): Promise<ProbeResult> {
    const reservations = await this.hosts.reservationsOf(host.hostId);
    const endpoints = [];
    for (const reservation of reservations.slice(0, PROBED_EXPORTS)) {
      const volume = await this.volumes.get(reservation.volumeId);
      const endpoint = volume?.copies.find((copy) => copy.copyId === reservation.copyId)?.nbd;
      if (endpoint) endpoints.push({ address: endpoint.address, port: endpoint.port });
    }
    if (endpoints.length === 0) return 'refused';
    try {
      return (await this.reach.anyAnswers(endpoints)) ? 'answered' : 'refused';
    } catch {
      // One host's probe failing must not stop the evaluation of the fleet; the host's reason says
      // so, and the probe function's own errors are in its log group.
      return 'failed';
    }
  }
}
