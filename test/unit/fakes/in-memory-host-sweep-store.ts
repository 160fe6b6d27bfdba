import type { HostPage, HostRepository, HostSweepStore, SweepState } from '../../../core/ports';

/** HostSweepStore in memory over an in-memory host repository: pages in host-id order, cursor = last host id. */
export class InMemoryHostSweepStore implements HostSweepStore {
  state: SweepState = {};
  saves = 0;

  constructor(
    private readonly hosts: HostRepository & { all(): readonly { hostId: string }[] },
  ) {}

  async load(): Promise<SweepState> {
    return this.state;
  }

  async save(state: SweepState): Promise<void> {
    this.saves += 1;
    this.state = state;
  }

  async listHosts(cursor: string | undefined, limit: number): Promise<HostPage> {
    const ids = this.hosts.all().map((host) => host.hostId).sort();
    const start = cursor ? ids.findIndex((id) => id > cursor) : 0;
    const slice = start < 0 ? [] : ids.slice(start, start + limit);
    const hosts = [];
    for (const id of slice) {
      const host = await this.hosts.get(id);
      if (host) hosts.push(host);
    }
    const last = slice[slice.length - 1];
    return { hosts, nextCursor: last !== undefined && last !== ids[ids.length - 1] ? last : undefined };
  }
}
