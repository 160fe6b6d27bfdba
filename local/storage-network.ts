import { setTimeout as sleep } from 'node:timers/promises';
import { applyQuickAck } from '../agent/net/quickack';
import { runCommand } from '../agent/util/run-command';

/**
 * The local fleet's storage network: one bridge in the root namespace and, per storage host,
 * a network namespace joined to it by a veth pair. Each host's NBD servers listen on its own
 * address inside its namespace; clients (tests, demo) reach them from the root namespace
 * through the bridge; mirror traffic between hosts crosses two veths and the bridge. Every
 * route carries `quickack 1` (QEMU 7.2's NBD server stalls on delayed ACKs otherwise).
 */
export const STORAGE_SUBNET = '10.77.0.0/24';
export const BRIDGE = 'bp-br0';
const BRIDGE_ADDRESS = '10.77.0.1';

export interface StorageHostNetwork {
  readonly name: string;
  readonly netns: string;
  readonly address: string;
}

const ip = (...args: string[]) => runCommand('ip', args, { timeoutMs: 10_000 });

async function exists(args: string[]): Promise<boolean> {
  try {
    await ip(...args);
    return true;
  } catch {
    return false;
  }
}

async function ensureBridge(): Promise<void> {
  if (!(await exists(['link', 'show', BRIDGE]))) {
    await ip('link', 'add', BRIDGE, 'type', 'bridge');
    await ip('addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE);
  }
  await ip('link', 'set', BRIDGE, 'up');
  await applyQuickAck({ destination: STORAGE_SUBNET });
}

/**
 * Added to every host number, so that two fleets on one machine (two work trees, a benchmark
 * beside a demo) use distinct namespaces and addresses: `BLOCKPLANE_HOST_INDEX_OFFSET=20` makes
 * host 1 `host21` at 10.77.0.31. Default 0.
 */
const HOST_INDEX_OFFSET = Number(process.env.BLOCKPLANE_HOST_INDEX_OFFSET ?? 0);
const MAX_HOST_INDEX = 240;

/** Creates the namespace of storage host number `index` (1-based), replacing any left from an earlier run. */
export async function createStorageHostNetwork(hostNumber: number): Promise<StorageHostNetwork> {
  const index = hostNumber + HOST_INDEX_OFFSET;
  if (!Number.isInteger(index) || index < 1 || index > MAX_HOST_INDEX) {
    throw new Error(`storage host index ${index} (number ${hostNumber} + BLOCKPLANE_HOST_INDEX_OFFSET ${HOST_INDEX_OFFSET}) is outside 1..${MAX_HOST_INDEX}`);
  }
  await ensureBridge();
  const name = `host${index}`;
  const network = { name, netns: `bp-${name}`, address: `10.77.0.${10 + index}` };
  const hostEnd = hostEndOf(network);
  await removeStorageHostNetwork(network);
  await ip('netns', 'add', network.netns);
  await ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', network.netns);
  await ip('link', 'set', hostEnd, 'master', BRIDGE, 'up');
  await ip('-n', network.netns, 'addr', 'add', `${network.address}/24`, 'dev', 'eth0');
  await ip('-n', network.netns, 'link', 'set', 'eth0', 'up');
  await ip('-n', network.netns, 'link', 'set', 'lo', 'up');
  await applyQuickAck({ destination: STORAGE_SUBNET, netns: network.netns });
  return network;
}

/** The root-namespace end of a host's veth pair, on the bridge. */
const hostEndOf = (network: StorageHostNetwork) => `bp-${network.name}-br`;

/**
 * Removes a host's namespace and its veth. Every process still inside was started by the local
 * fleet (storage daemons, probes); they are killed first. The kernel may keep a dead namespace
 * (and so its veth) alive for minutes while orphaned TCP connections of killed daemons time out,
 * so the root end of the veth is deleted explicitly, which destroys the pair at once.
 */
export async function removeStorageHostNetwork(network: StorageHostNetwork): Promise<void> {
  await removeNamespace(network.netns);
  try {
    await ip('link', 'del', hostEndOf(network));
  } catch (error) {
    // Gone already: deleting the namespace destroyed the pair, before or while we looked.
    if (!/Cannot find device/i.test((error as Error).message)) throw error;
  }
}

async function removeNamespace(netns: string): Promise<void> {
  if (!(await exists(['netns', 'exec', netns, 'true']))) return;
  const { stdout } = await ip('netns', 'pids', netns);
  for (const pid of stdout.split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await ip('netns', 'del', netns);
}

/** How long the veths of just-deleted namespaces may take to leave the bridge. */
const BRIDGE_DRAIN_TIMEOUT_MS = 5_000;

/**
 * Removes the bridge once no host is on it any more; returns false (and leaves it) when
 * another host still uses it, e.g. a benchmark beside a running fleet.
 */
export async function removeStorageBridge(): Promise<boolean> {
  const deadline = Date.now() + BRIDGE_DRAIN_TIMEOUT_MS;
  try {
    while ((await ip('-o', 'link', 'show', 'master', BRIDGE)).stdout.trim() !== '') {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    await ip('link', 'del', BRIDGE);
  } catch (error) {
    // Another cleanup (a second fleet on this machine) removed it first.
    if (!/does not exist|Cannot find device/i.test((error as Error).message)) throw error;
  }
  return true;
}
