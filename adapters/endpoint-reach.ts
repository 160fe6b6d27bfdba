import { Socket } from 'node:net';
import { z } from 'zod';
import { HostAddressSchema } from '../core/host-requests';

/** How long one probe waits for the TCP handshake. */
export const PROBE_TIMEOUT_MS = 1_500;

/** A host's address and port to try a TCP handshake with (a copy's NBD export). */
export const EndpointSchema = z.strictObject({ address: HostAddressSchema, port: z.number().int().min(1).max(65_535) });
export type Endpoint = z.infer<typeof EndpointSchema>;

/** Whether any of some endpoints takes a TCP connection, tried from wherever the implementation runs. */
export interface EndpointReach {
  anyAnswers(endpoints: readonly Endpoint[]): Promise<boolean>;
}

/** Tries the endpoints one after another from this process; the first handshake answers. */
export class TcpEndpointReach implements EndpointReach {
  constructor(private readonly timeoutMs = PROBE_TIMEOUT_MS) {}

  async anyAnswers(endpoints: readonly Endpoint[]): Promise<boolean> {
    for (const endpoint of endpoints) if (await this.connects(endpoint)) return true;
    return false;
  }

  private connects({ address, port }: Endpoint): Promise<boolean> {
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
