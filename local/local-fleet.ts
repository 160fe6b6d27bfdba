import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '../agent/util/run-command';
import type { Identity } from './identities';
import { createStorageHostNetwork, removeStorageHostNetwork, type StorageHostNetwork } from './storage-network';

/**
 * Storage hosts on one machine: each has its own network namespace and address (where its
 * qemu-storage-daemons serve NBD), its own loop-device disks, its own data directory, and a
 * real agent process (bin/agent.ts) that talks to the local cloud with its own IAM identity.
 */
export interface LocalHost {
  readonly index: number;
  readonly hostId: string;
  readonly location: string;
  /** Its rack within the location: hosts 1-2 in `rack-1`, 3-4 in `rack-2`… (LOCAL_RACK_SIZE), sent with `--rack`. */
  readonly rack: string;
  readonly network: StorageHostNetwork;
  readonly root: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly loopDevices: { readonly device: string; readonly type: 'ssd' | 'hdd' }[];
  agent?: ChildProcess;
}

const STATE = resolve('local/.state/hosts');
/** A disk of a local host: a sparse file behind a loop device. */
export interface LocalDisk {
  readonly type: 'ssd' | 'hdd';
  readonly sizeBytes: number;
}
/** By default each host gets one ssd and one hdd disk of 4 GiB. */
const DEFAULT_DISKS: readonly LocalDisk[] = [
  { type: 'ssd', sizeBytes: 4 * 1024 ** 3 },
  { type: 'hdd', sizeBytes: 4 * 1024 ** 3 },
];
const AGENT_STOP_TIMEOUT_MS = 15_000;
/** Hosts per rack on the local fleet, so a fleet of three has a rack group of two and one of one. */
export const LOCAL_RACK_SIZE = 2;
export const localRackOf = (index: number): string => `rack-${Math.ceil(index / LOCAL_RACK_SIZE)}`;

async function attachLoopDevice(file: string, sizeBytes: number): Promise<string> {
  if (!existsSync(file)) {
    closeSync(openSync(file, 'w'));
    await runCommand('truncate', ['-s', String(sizeBytes), file]);
  }
  const { stdout: attached } = await runCommand('losetup', ['-j', file]);
  const existing = attached.split(':')[0]?.trim();
  if (existing) return existing;
  const { stdout } = await runCommand('losetup', ['-f', '--show', file]);
  return stdout.trim();
}

export async function createLocalHost(index: number, location: string, disks: readonly LocalDisk[] = DEFAULT_DISKS): Promise<LocalHost> {
  const network = await createStorageHostNetwork(index);
  const root = join(STATE, network.name);
  mkdirSync(join(root, 'disks'), { recursive: true });
  const loopDevices = [];
  for (const [position, disk] of disks.entries()) {
    const ordinal = disks.slice(0, position).filter((other) => other.type === disk.type).length;
    loopDevices.push({ device: await attachLoopDevice(join(root, 'disks', `${disk.type}${ordinal}.img`), disk.sizeBytes), type: disk.type });
  }
  return {
    index,
    hostId: `${location}-${network.name}`,
    location,
    rack: localRackOf(index),
    network,
    root,
    dataDir: join(root, 'data'),
    logFile: join(root, 'agent.log'),
    loopDevices,
  };
}

/** `transferProxy`: the agent's `--transfer-proxy` (its presigned-URL transfers through a forward proxy, e.g. a test's fault proxy). */
export interface AgentStartOptions {
  readonly heartbeatIntervalMs?: number;
  readonly auditIntervalMs?: number;
  readonly auditHoldSpec?: boolean;
  readonly detached?: boolean;
  readonly transferProxy?: string;
}

/**
 * Starts the host's agent as its own process, with the host's IAM identity. `detached`: in its
 * own process group, not waited for, so it outlives the caller (local/fleet.ts).
 */
export function startAgent(
  host: LocalHost,
  identity: Identity,
  options: AgentStartOptions = {},
): ChildProcess {
  const log = openSync(host.logFile, 'a');
  const args = [
    '--import',
    'tsx',
    'bin/agent.ts',
    '--host-id',
    host.hostId,
    '--location',
    host.location,
    '--rack',
    host.rack,
    '--address',
    host.network.address,
    '--netns',
    host.network.netns,
    '--data-dir',
    host.dataDir,
    ...host.loopDevices.flatMap((disk) => ['--device', `${disk.device}:${disk.type}:${disk.type === 'ssd' ? 20000 : 2000}`]),
    '--heartbeat-interval-ms',
    String(options.heartbeatIntervalMs ?? 1000),
    '--poll-wait-seconds',
    '5',
    ...(options.auditIntervalMs ? ['--audit-interval-ms', String(options.auditIntervalMs)] : []),
    ...(options.auditHoldSpec ? ['--audit-hold-spec'] : []),
    ...(options.transferProxy ? ['--transfer-proxy', options.transferProxy] : []),
  ];
  const agent = spawn(process.execPath, args, {
    stdio: ['ignore', log, log],
    env: { ...process.env, AWS_ACCESS_KEY_ID: identity.accessKeyId, AWS_SECRET_ACCESS_KEY: identity.secretAccessKey },
    detached: options.detached ?? false,
  });
  closeSync(log);
  if (options.detached) agent.unref();
  host.agent = agent;
  return agent;
}

/** Registration takes the agent a second or so (Node start, mkfs, first call). */
const REGISTRATION_TIMEOUT_MS = 60_000;

/** Waits (bounded polling of the hosts table) until the control plane counts the host active. */
export async function waitForRegistration(host: LocalHost, hostsTableName: string): Promise<void> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const deadline = Date.now() + REGISTRATION_TIMEOUT_MS;
  for (;;) {
    const { Item } = await documents.send(new GetCommand({ TableName: hostsTableName, Key: { pk: `HOST#${host.hostId}`, sk: 'HOST' }, ConsistentRead: true }));
    if (Item?.status === 'active') return;
    if (Date.now() > deadline) throw new Error(`host ${host.hostId} did not register within ${REGISTRATION_TIMEOUT_MS} ms; see ${host.logFile}`);
    await sleep(200);
  }
}

/** PIDs of the qemu-storage-daemons this host's agent started (from their pidfiles under its data directory). */
export function storageDaemonPids(host: LocalHost): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(path);
      else if (entry.endsWith('.pid')) {
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(pid) && isStorageDaemon(pid)) pids.push(pid);
      }
    }
  };
  walk(host.dataDir);
  return pids;
}

function isStorageDaemon(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-storage-daemon');
  } catch {
    return false;
  }
}

/** The PID of the host's lease guard (agent/lease/lease-guard-process.ts), if it runs. */
export function leaseGuardPid(host: LocalHost): number | undefined {
  try {
    const pid = Number(readFileSync(join(host.dataDir, 'lease-guard.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lease-guard') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The host dies: its agent, its lease guard and every storage daemon it ran get SIGKILL; heartbeats stop. */
export function killHost(host: LocalHost): number[] {
  const guard = leaseGuardPid(host);
  const victims = [...storageDaemonPids(host), ...(host.agent?.pid ? [host.agent.pid] : []), ...(guard !== undefined ? [guard] : [])];
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return victims;
}

async function waitForExit(agent: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (agent.exitCode !== null || agent.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    agent.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops the agent (SIGTERM, then SIGKILL) and any daemon left, unmounts its disks, detaches its loop devices, removes its namespace and its files. */
export async function destroyLocalHost(host: LocalHost): Promise<void> {
  if (host.agent && host.agent.exitCode === null && host.agent.signalCode === null) {
    host.agent.kill('SIGTERM');
    if (!(await waitForExit(host.agent, AGENT_STOP_TIMEOUT_MS))) host.agent.kill('SIGKILL');
  }
  const guard = leaseGuardPid(host);
  for (const pid of [...storageDaemonPids(host), ...(guard !== undefined ? [guard] : [])]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const { stdout } = await runCommand('findmnt', ['-rn', '-o', 'TARGET']);
  for (const target of stdout.split('\n').filter((t) => t.startsWith(host.dataDir)).sort().reverse()) {
    await runCommand('umount', ['-l', target]);
  }
  for (const disk of host.loopDevices) await runCommand('losetup', ['-d', disk.device]).catch(() => undefined);
  await removeStorageHostNetwork(host.network);
  rmSync(host.root, { recursive: true, force: true });
}
