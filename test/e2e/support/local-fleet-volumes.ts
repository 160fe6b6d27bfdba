import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok, type VolumeApi, type VolumeView } from '../../../client/blockplane-api';
import type { Identity } from '../../../local/identities';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type AgentStartOptions, type LocalHost } from '../../../local/local-fleet';
import { removeStorageBridge } from '../../../local/storage-network';
import { deployment, eventually, identities } from './local-cloud';
import { publishEndpoint, type Endpoint } from './nbd-clients';

/**
 * Three storage hosts on this machine, each in its own network namespace with its own loop-device
 * disks and a real agent driving real qemu-storage-daemons, registered with the control plane on
 * the local cloud; a tenant's volumes in their location, and a scratch folder for endpoint files.
 */
export class LocalFleetVolumes {
  readonly hosts: LocalHost[] = [];
  readonly work: string;

  constructor(
    readonly location: string,
    readonly tenant: VolumeApi,
    scratchPrefix: string,
  ) {
    this.work = mkdtempSync(join(tmpdir(), scratchPrefix));
  }

  /** Starts hosts 1–3 with the identities h1–h3 and waits until each registered. */
  async start(hostIdentities: readonly Identity[] = [identities.hosts.h1, identities.hosts.h2, identities.hosts.h3], agentOptions: AgentStartOptions = {}): Promise<void> {
    for (const [index, identity] of hostIdentities.entries()) {
      const host = await createLocalHost(index + 1, this.location);
      this.hosts.push(host);
      startAgent(host, identity, agentOptions);
    }
    for (const host of this.hosts) await waitForRegistration(host, deployment.hostsTableName);
  }

  async stop(): Promise<void> {
    for (const host of this.hosts) await destroyLocalHost(host);
    await removeStorageBridge();
    rmSync(this.work, { recursive: true, force: true });
  }

  async volumeIn(volumeId: string, statuses: readonly string[], timeoutMs: number): Promise<VolumeView> {
    return eventually(
      async () => {
        const volume = ok<VolumeView>(await this.tenant.get(volumeId));
        return statuses.includes(volume.status) ? volume : undefined;
      },
      timeoutMs,
      `volume ${volumeId} to be ${statuses.join('|')}`,
      250,
    );
  }

  async createAvailableVolume(request: Record<string, unknown>): Promise<VolumeView> {
    const volume = ok<VolumeView>(await this.tenant.create({ location: this.location, ...request }));
    const settled = await this.volumeIn(volume.volumeId, ['available', 'error'], 120_000);
    if (settled.status !== 'available') throw new Error(`volume ${volume.volumeId} is ${settled.status}: ${settled.statusReason}`);
    return settled;
  }

  /** Writes an endpoint (address, port, export, key) to a file in the scratch folder, where the NBD client helpers read it. */
  endpointFile(name: string, endpoint: Endpoint): string {
    const file = join(this.work, `${name}.json`);
    publishEndpoint(file, endpoint);
    return file;
  }
}
