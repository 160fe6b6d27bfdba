import { randomUUID } from 'node:crypto';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type LocalDisk, type LocalHost } from '../../../local/local-fleet';
import { removeStorageBridge } from '../../../local/storage-network';
import { freshHostPrincipal } from './host-identity';
import { deployment } from './local-cloud';

/**
 * Local hosts of a test's own in a location of its own, each agent with a fresh host principal
 * (`<prefix>-<index>-<random>`), started and registered. Each is pushed to `hosts` as soon as it
 * exists, so {@link stopOwnHosts} cleans up after a start that failed half-way.
 */
export async function startOwnHosts(hosts: LocalHost[], indexes: readonly number[], location: string, prefix: string, disks?: readonly LocalDisk[]): Promise<void> {
  for (const index of indexes) {
    const host = await createLocalHost(index, location, disks);
    hosts.push(host);
    startAgent(host, (await freshHostPrincipal(`${prefix}-${index}-${randomUUID().slice(0, 6)}`)).identity);
  }
  for (const host of hosts) await waitForRegistration(host, deployment.hostsTableName);
}

/** Destroys the hosts (agent, daemons, loop devices, namespace) and the storage bridge. */
export async function stopOwnHosts(hosts: readonly LocalHost[]): Promise<void> {
  for (const host of hosts) await destroyLocalHost(host);
  await removeStorageBridge();
}
