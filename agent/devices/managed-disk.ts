/**
 * One data device of the host, as the agent uses it: formatted (ext4) when it holds nothing,
 * mounted at `<data-dir>/disks/<kernel name>`, with a {@link CopyStore} under `copies/`.
 *
 * `prepare()` is idempotent: a filesystem already there is mounted as is (never formatted
 * again), and a mount already in place (same device) is kept. A device with a partition table
 * but no filesystem, or a mount point that holds another device, is refused.
 * `observe()` checks the mount is still there and writable and reads its size (statfs).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CopyStore } from '../copies/copy-store';
import { DevicePreparationError } from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';
import { runCommand } from '../util/run-command';
import { allocatableBytes } from './allocatable-capacity';
import { DEFAULT_IOPS_CAPACITY, DeviceSpec, DiskType } from './device-spec';
import { BlockDeviceInfo, describeBlockDevice, deviceIdOf, probeFilesystem } from './lsblk';
import { mountAt, readMounts } from './mountinfo';

export const GiB = 1024 ** 3;
/** mkfs of a large EBS volume takes a while (lazy inode tables keep it short). */
const MKFS_TIMEOUT_MS = 600_000;
const MOUNT_TIMEOUT_MS = 60_000;

/** The control plane's disk health (see core/host-requests.ts). */
export const DiskHealth = { Ok: 'ok', Degraded: 'degraded', Failed: 'failed' } as const;
export type DiskHealth = (typeof DiskHealth)[keyof typeof DiskHealth];

/** A disk as `POST /hosts` and the heartbeat report it. */
export interface DiskReport {
  deviceId: string;
  type: DiskType;
  capacityGiB: number;
  iopsCapacity: number;
  health: DiskHealth;
}

export interface DiskObservation {
  health: DiskHealth;
  /** Why the disk is not ok. */
  reason?: string;
  capacityBytes: number;
  /** Bytes a new file may use (statfs `bavail`). */
  freeBytes: number;
  /** Sizes of the complete copies on the disk. */
  copyBytes: number;
  /** Bytes allocated so far to copies being created (folders without metadata). */
  creatingBytes: number;
}

export interface ManagedDiskOptions {
  spec: DeviceSpec;
  /** The agent's data directory; the disk is mounted under `<dataDir>/disks/`. */
  dataDir: string;
  hostId: string;
  logger?: AgentLogger;
}

export class ManagedDisk {
  readonly spec: DeviceSpec;
  private info: BlockDeviceInfo | undefined;
  private copyStore: CopyStore | undefined;
  private lastObservation: DiskObservation | undefined;
  private logger: AgentLogger;

  constructor(private readonly options: ManagedDiskOptions) {
    this.spec = options.spec;
    this.logger = (options.logger ?? silentLogger).child({ device: options.spec.path });
  }

  get prepared(): boolean {
    return this.copyStore !== undefined;
  }

  /** Kernel name (`nvme1n1`); known after the device was described. */
  get name(): string | undefined {
    return this.info?.name;
  }

  get mountPoint(): string | undefined {
    return this.info ? path.join(this.options.dataDir, 'disks', this.info.name) : undefined;
  }

  get store(): CopyStore {
    if (!this.copyStore) throw new DevicePreparationError(this.spec.path, 'it is not prepared yet');
    return this.copyStore;
  }

  get type(): DiskType {
    return this.spec.type ?? (this.info?.rotational ? DiskType.Hdd : DiskType.Ssd);
  }

  get iopsCapacity(): number {
    return this.spec.iopsCapacity ?? DEFAULT_IOPS_CAPACITY[this.type];
  }

  get deviceId(): string | undefined {
    return this.info ? deviceIdOf(this.info, this.options.hostId) : undefined;
  }

  get observation(): DiskObservation | undefined {
    return this.lastObservation;
  }

  /** Formats (if empty) and mounts the device; idempotent. */
  async prepare(): Promise<void> {
    const devicePath = await fs.realpath(this.spec.path).catch((error: Error) => {
      throw new DevicePreparationError(this.spec.path, `it does not exist (${error.message})`, { cause: error });
    });
    const stat = await fs.stat(devicePath);
    if (!stat.isBlockDevice()) throw new DevicePreparationError(this.spec.path, `${devicePath} is not a block device`);
    this.info = await describeBlockDevice(devicePath);
    this.logger = this.logger.child({ disk: this.info.name });
    const mountPoint = this.mountPoint as string;
    const current = mountAt(await readMounts(), mountPoint);
    if (current && current.device !== this.info.majMin) {
      throw new DevicePreparationError(this.spec.path, `${mountPoint} already holds another device (${current.source}, ${current.device})`);
    }
    if (!current) {
      const probe = await probeFilesystem(devicePath);
      if (!probe.type && probe.partitionTable) {
        throw new DevicePreparationError(this.spec.path, `it has a ${probe.partitionTable} partition table and no filesystem; give a partition or an empty device`);
      }
      if (!probe.type) {
        this.logger.info('device holds no filesystem; formatting it ext4');
        // -m 0: the disk holds only copies, a root reserve would only hide space.
        await runCommand('mkfs.ext4', ['-q', '-m', '0', '-L', 'blockplane', devicePath], { timeoutMs: MKFS_TIMEOUT_MS });
      }
      await fs.mkdir(mountPoint, { recursive: true, mode: 0o700 });
      await runCommand('mount', ['-o', 'noatime', devicePath, mountPoint], { timeoutMs: MOUNT_TIMEOUT_MS });
      this.logger.info('device mounted', { mountPoint, fstype: probe.type ?? 'ext4 (new)' });
    } else {
      this.logger.info('device already mounted', { mountPoint });
    }
    const copiesDir = path.join(mountPoint, 'copies');
    await fs.mkdir(copiesDir, { recursive: true, mode: 0o700 });
    this.copyStore = new CopyStore({ dataDir: copiesDir, logger: this.logger });
    await this.observe();
  }

  /** Reads the mount's state and size now. */
  async observe(): Promise<DiskObservation> {
    const mountPoint = this.mountPoint;
    if (!this.prepared || !mountPoint || !this.info) {
      this.lastObservation = { health: DiskHealth.Failed, reason: 'not prepared', capacityBytes: this.info?.sizeBytes ?? 0, freeBytes: 0, copyBytes: 0, creatingBytes: 0 };
      return this.lastObservation;
    }
    const mount = mountAt(await readMounts(), mountPoint);
    let observation: DiskObservation;
    if (!mount || mount.device !== this.info.majMin) {
      observation = { health: DiskHealth.Failed, reason: `${mountPoint} is no longer mounted`, capacityBytes: this.info.sizeBytes, freeBytes: 0, copyBytes: 0, creatingBytes: 0 };
    } else {
      // Creating copies first: a creation finishing in between is then counted once, as a copy.
      const creatingBytes = await this.store.creatingBytes();
      const stats = await fs.statfs(mountPoint);
      const copyBytes = (await this.store.list()).reduce((sum, copy) => sum + copy.sizeBytes, 0);
      const capacityBytes = stats.blocks * stats.bsize;
      const freeBytes = stats.bavail * stats.bsize;
      observation = mount.readOnly
        ? { health: DiskHealth.Failed, reason: `${mountPoint} is mounted read-only`, capacityBytes, freeBytes: 0, copyBytes, creatingBytes }
        : { health: DiskHealth.Ok, capacityBytes, freeBytes, copyBytes, creatingBytes };
    }
    if (observation.health !== this.lastObservation?.health) {
      const log = observation.health === DiskHealth.Ok ? this.logger.info.bind(this.logger) : this.logger.error.bind(this.logger);
      log('disk health', { health: observation.health, reason: observation.reason });
    }
    this.lastObservation = observation;
    return observation;
  }

  /**
   * The report for the control plane; undefined while the device could not even be described.
   * `reservedBytes`: what creations in progress on this disk reserved (the disks controller knows).
   */
  report(reservedBytes = 0): DiskReport | undefined {
    const deviceId = this.deviceId;
    if (!deviceId || !this.info) return undefined;
    const observation = this.lastObservation;
    const usable = observation?.health === DiskHealth.Ok ? allocatableBytes({ ...observation, reservedBytes }) : 0;
    return {
      deviceId,
      type: this.type,
      // Whole GiB only, rounded down, of what copies can really use (allocatable-capacity.ts).
      capacityGiB: Math.floor(usable / GiB),
      iopsCapacity: this.iopsCapacity,
      health: observation?.health ?? DiskHealth.Failed,
    };
  }
}
