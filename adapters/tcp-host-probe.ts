import { Socket } from 'node:net';
import type { HostProbe } from '../core/health/ports';
import type { ProbeResult } from '../core/health/host-signals';
import type { Host } from '../core/host';
import type { VolumeRepository, HostRepository } from '../core/ports';

/** How long one probe waits for the TCP handshake. */
export const PROBE_TIMEOUT_MS = 1_500;

/**
 * The pull side of health: a TCP connect to one of a quiet host's NBD exports (the ports its
 * copies serve, from the volume records). A handshake means the storage daemons still serve
 * even though the agent is silent; a refusal or timeout means they do not. A host with no known
 * export cannot be probed and counts as not answering.
 */
export class TcpHostProbe implements HostProbe {
  constructor(
    private readonly hosts: HostRepository,
    private readonly volumes: VolumeRepository,
    private readonly timeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  async probe(host: Host): Promise<ProbeResult> {
    const reservations = await this.hosts.reservationsOf(host.hostId);
    for (const reservation of reservations.slice(0, 3)) {
      const volume = await this.volumes.get(reservation.volumeId);
      const endpoint = volume?.copies.find((copy) => copy.copyId === reservation.copyId)?.nbd;
      if (endpoint && (await this.connects(endpoint.address, endpoint.port))) return 'answered';
    }
    return 'refused';
  }

  private connects(address: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = new Socket();
      const done = (answered: boolean) => {
        socket.destroy();
        resolve(answered);
      };
      socket.setTimeout(this.timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
      socket.connect(port, address);
    });
  }
}
