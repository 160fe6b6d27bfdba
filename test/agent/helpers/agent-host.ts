/**
 * A storage host for agent tests, without HTTP: a real loop device (formatted and mounted by
 * the disks controller under test), a data directory, and the agent's controllers and command
 * handler, exactly as the agent process composes them. Commands go straight to the handler.
 *
 * `stopAgent()` is the agent's SIGTERM path (daemons quit, locks released). `destroy()` also
 * SIGKILLs any daemon still named by a pidfile under this data directory, unmounts and
 * detaches the loop device (when this host created it) and deletes the data directory.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandHandler, CommandOutcome } from '../../../agent/commands/command-handler';
import type { ReplicaFaultReport } from '../../../agent/control-plane/control-plane-client';
import { ChainController } from '../../../agent/controllers/chain-controller';
import { CopyController } from '../../../agent/controllers/copy-controller';
import { MirrorController } from '../../../agent/controllers/mirror-controller';
import { ReplicaFaultController } from '../../../agent/controllers/replica-fault-controller';
import { ControlPlaneRequestError } from '../../../agent/errors';
import { LeaseBook } from '../../../agent/lease/lease-file';
import { PortAllocator, PortRange } from '../../../agent/controllers/port-allocator';
import { DiskType } from '../../../agent/devices/device-spec';
import { DiskController } from '../../../agent/devices/disk-controller';
import { generatePskKey, PskKey } from '../../../agent/tls/psk-keys-file';
import { AgentLogger, JsonLineLogger, LogLevel } from '../../../agent/util/logger';
import { LoopDevice } from './loop-device';

export interface TestHostOptions {
  hostId?: string;
  /** @default '127.0.0.1' */
  address?: string;
  netns?: string;
  /** @default a random range of 20 ports in 20000-29999 */
  ports?: PortRange;
  /** @default 'ssd' */
  diskType?: DiskType;
  /** @default 4 GiB (sparse) */
  diskSizeBytes?: number;
  /** The control plane's answers to a primary's replica faults. @default a new {@link ConsentStub} (consents at once) */
  consent?: ConsentStub;
  /** @default 3000 (short, for tests; the agent's default is DEFAULT_LEASE_MS) */
  leaseMs?: number;
  /** Reuse another host's device and data directory (an agent restart); they stay that host's to destroy. */
  reuse?: TestHost;
}

/** Set BP_TEST_LOG=1 to see the agent's JSON lines. */
export function testLogger(fields: Record<string, unknown>): AgentLogger {
  return new JsonLineLogger(fields, process.env.BP_TEST_LOG ? LogLevel.Debug : LogLevel.Silent);
}

export class TestHost {
  private stopped = false;

  private constructor(
    readonly hostId: string,
    readonly address: string,
    readonly netns: string | undefined,
    readonly dataDir: string,
    readonly device: LoopDevice,
    private readonly ownsDevice: boolean,
    readonly disks: DiskController,
    readonly copies: CopyController,
    readonly mirrors: MirrorController,
    readonly chains: ChainController,
    readonly faults: ReplicaFaultController,
    readonly lease: LeaseBook,
    readonly handler: CommandHandler,
    /** The control plane's side of replica faults: what was asked, and how it answers. */
    readonly consent: ConsentStub,
  ) {}

  static async create(options: TestHostOptions = {}): Promise<TestHost> {
    const hostId = options.hostId ?? options.reuse?.hostId ?? `host-${randomBytes(3).toString('hex')}`;
    const address = options.address ?? options.reuse?.address ?? '127.0.0.1';
    const netns = options.netns ?? options.reuse?.netns;
    const device = options.reuse?.device ?? (await LoopDevice.create(options.diskSizeBytes ?? 4 * 1024 ** 3));
    const dataDir = options.reuse?.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'bp-host-')));
    const first = 20_000 + Math.floor(Math.random() * 9_000);
    const ports = options.ports ?? { first, last: first + 19 };
    const logger = testLogger({ hostId });
    const disks = new DiskController({ dataDir, hostId, devices: [{ path: device.device, type: options.diskType ?? 'ssd' }], logger });
    const leaseMs = options.leaseMs ?? 3_000;
    const copies = new CopyController({ hostId, dataDir, address, ...(netns ? { netns } : {}), disks, ports: new PortAllocator(ports), leaseMs, logger });
    const mirrors = new MirrorController(copies);
    const consent = options.consent ?? new ConsentStub();
    const lease = new LeaseBook(dataDir, leaseMs);
    const faults = new ReplicaFaultController({ copies, client: consent, lease });
    const chains = new ChainController({ copies });
    const handler = new CommandHandler({ copies, mirrors, chains, logger });
    const host = new TestHost(hostId, address, netns, dataDir, device, options.reuse === undefined, disks, copies, mirrors, chains, faults, lease, handler, consent);
    try {
      await disks.start();
      await copies.scan();
    } catch (error) {
      await host.destroy();
      throw error;
    }
    return host;
  }

  /** Runs one command through the handler, as the command loop would. */
  run(type: string, payload: unknown, commandId = newCommandId(), createdAt?: string): Promise<CommandOutcome> {
    return this.handler.handle({ commandId, type, payload, ...(createdAt ? { createdAt } : {}) });
  }

  /** The agent's stop: every daemon quits, every lock is released. */
  async stopAgent(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.faults.stop();
    this.chains.stop();
    await this.copies.shutdown();
  }

  /**
   * The agent dies (kill -9) without stopping anything: its fault handling ends, its copy locks
   * go (as a dead process's flocks do) and its daemons keep running as orphans, for the next
   * agent on this data directory to find (`TestHost.create({ reuse })` kills them at start).
   */
  async crashAgent(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.faults.stop();
    for (const copyId of this.copies.copyIds) {
      const served = this.copies.servedCopy(copyId);
      served?.runtime.detach();
      await served?.copy.release();
    }
  }

  async destroy(): Promise<void> {
    await this.stopAgent().catch(() => undefined);
    if (!this.ownsDevice) return;
    await killDaemonsUnder(this.dataDir);
    await this.device.destroy();
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The control plane's answer to `POST /hosts/{id}/replica-faults`: `grant` (the generation
 * advances by one), `refuse` (409: not the primary), or `hold` (no answer until `release()`).
 */
export class ConsentStub {
  readonly requests: Array<ReplicaFaultReport & { at: number }> = [];
  mode: 'grant' | 'refuse' | 'hold' = 'grant';
  private waiting: Array<() => void> = [];

  async reportReplicaFault(request: ReplicaFaultReport): Promise<{ volumeId: string; generation: number; outdatedCopyIds: string[] }> {
    this.requests.push({ ...request, at: Date.now() });
    if (this.mode === 'hold') await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.mode === 'refuse') throw new ControlPlaneRequestError('POST /hosts/{id}/replica-faults', 409, 'InvalidState: not the primary');
    return { volumeId: request.volumeId, generation: request.generation + 1, outdatedCopyIds: [] };
  }

  /** Answers the held calls (and every later one) with `mode`. */
  release(mode: 'grant' | 'refuse' = 'grant'): void {
    this.mode = mode;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

export function newCommandId(): string {
  return `cmd-${Date.now().toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
}

export interface VolumeKeys {
  clientKey: PskKey;
  replicationKey: PskKey;
}

export function volumeKeys(volumeId: string): VolumeKeys {
  const suffix = volumeId.slice(4);
  return { clientKey: generatePskKey(`client-${suffix}`), replicationKey: generatePskKey(`repl-${suffix}`) };
}

export function newVolumeId(): string {
  return `vol-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function newCopyId(): string {
  return `cpy-${randomBytes(6).toString('hex')}`;
}

/** A create-copy payload as the control plane builds it (core/copy-commands.ts). */
export function createCopyPayload(
  volumeId: string,
  keys: VolumeKeys,
  overrides: Partial<{ copyId: string; role: 'primary' | 'mirror'; sizeGiB: number; type: 'ssd' | 'hdd'; iops: number; generation: number }> = {},
): Record<string, unknown> {
  const role = overrides.role ?? 'primary';
  return {
    volumeId,
    copyId: overrides.copyId ?? newCopyId(),
    role,
    sizeGiB: overrides.sizeGiB ?? 1,
    type: overrides.type ?? 'ssd',
    iops: overrides.iops ?? 0,
    generation: overrides.generation ?? 1,
    ...(role === 'primary' ? { clientKey: keys.clientKey } : {}),
    replicationKey: keys.replicationKey,
  };
}

/** Where a copy's export listens, as create-copy answers it. */
export interface CopyEndpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

/**
 * A fresh volume at generation 1: its primary on `primaryHost`, its mirror on `mirrorHost`,
 * replicating and in sync (`start-replication` with a full sync); throws if any step fails.
 */
export async function startReplicatedVolume(primaryHost: TestHost, mirrorHost: TestHost): Promise<{ volumeId: string; keys: VolumeKeys; primary: CopyEndpoint; mirror: CopyEndpoint }> {
  const volumeId = newVolumeId();
  const keys = volumeKeys(volumeId);
  const [primary, mirror] = (
    await Promise.all([
      primaryHost.run('create-copy', createCopyPayload(volumeId, keys, { role: 'primary' })),
      mirrorHost.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror' })),
    ])
  ).map((outcome) => (outcome as unknown as { result: CopyEndpoint }).result) as [CopyEndpoint, CopyEndpoint];
  const started = await primaryHost.run('start-replication', {
    volumeId,
    copyId: primary.copyId,
    generation: 1,
    mirror: { hostId: mirrorHost.hostId, copyId: mirror.copyId, ...mirror.nbd },
    replicationKey: keys.replicationKey,
    sync: 'full',
  });
  if (started.status !== 'succeeded') throw new Error(`start-replication failed: ${JSON.stringify(started)}`);
  return { volumeId, keys, primary, mirror };
}

/** PIDs of running qemu-storage-daemons whose command line names this data directory. */
export async function daemonPidsUnder(dataDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await fs.readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (cmdline.some((arg) => arg.endsWith('qemu-storage-daemon')) && cmdline.some((arg) => arg.includes(dataDir))) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** SIGKILLs every qemu-storage-daemon under `dataDir` and waits (bounded) until each is gone. */
export async function killDaemonsUnder(dataDir: string): Promise<number[]> {
  const pids = await daemonPidsUnder(dataDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 5_000;
  while ((await daemonPidsUnder(dataDir)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return pids;
}
