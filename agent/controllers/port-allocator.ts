/**
 * The NBD ports of this host (`--nbd-ports FIRST-LAST`): each copy keeps one port for life
 * (recorded in its metadata), so ports found in copies at start are claimed first; a new copy
 * gets the lowest free one. A port another program turned out to hold is skipped from then on.
 */
import { AgentOptionsError, NoFreePortError } from '../errors';

export interface PortRange {
  first: number;
  last: number;
}

export function parsePortRange(value: string): PortRange {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(value);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || first < 1 || last > 65_535 || first > last) {
    throw new AgentOptionsError('--nbd-ports', `received ${JSON.stringify(value)}, allowed FIRST-LAST with 1 <= FIRST <= LAST <= 65535`);
  }
  return { first, last };
}

export class PortAllocator {
  private readonly owners = new Map<number, string>();
  private readonly foreign = new Set<number>();

  constructor(readonly range: PortRange) {}

  /** Records that `owner` uses `port` (a port from metadata may lie outside the range). */
  claim(port: number, owner: string): void {
    this.owners.set(port, owner);
  }

  /** The lowest port in the range that no copy uses and no other program was found on. */
  allocate(owner: string): number {
    for (let port = this.range.first; port <= this.range.last; port++) {
      if (!this.owners.has(port) && !this.foreign.has(port)) {
        this.owners.set(port, owner);
        return port;
      }
    }
    throw new NoFreePortError(this.range.first, this.range.last);
  }

  /** Another program listens on `port`: never hand it out again in this process. */
  markForeign(port: number): void {
    this.owners.delete(port);
    this.foreign.add(port);
  }

  release(port: number, owner: string): void {
    if (this.owners.get(port) === owner) this.owners.delete(port);
  }
}
