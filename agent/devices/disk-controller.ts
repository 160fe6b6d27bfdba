/**
 * The disks controller: one {@link ManagedDisk} per `--device`. `start()` prepares every disk
 * (format if empty, mount); a disk that fails stays in the list as `failed` and is prepared
 * again on a later `reconcileAll()` (at most once per {@link PREPARE_RETRY_INTERVAL_MS}), and
 * the `'disk-ready'` event then lets the copies controller scan it. `reports()` is what the
 * registration and every heartbeat send. `reserve()` picks the disk for a new copy.
 *
 * Events: `'disk-ready'` (ManagedDisk) when a disk becomes usable after `start()`.
 */
import { EventEmitter } from 'node:events';
import { DevicePreparationError, InsufficientSpaceError } from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';
import { DISK_HEADROOM_BYTES, fitsCopy, freeAfterCreations } from './allocatable-capacity';
import { DeviceSpec, DiskType } from './device-spec';
import { DiskHealth, DiskReport, GiB, ManagedDisk } from './managed-disk';

/** A failed preparation is tried again at most this often. */
export const PREPARE_RETRY_INTERVAL_MS = 30_000;

export interface DiskControllerOptions {
  dataDir: string;
  hostId: string;
  devices: readonly DeviceSpec[];
  logger?: AgentLogger;
}

/** Space set aside on a disk while a copy is being created there. */
export interface DiskReservation {
  disk: ManagedDisk;
  release(): void;
}

export class DiskController extends EventEmitter {
  readonly disks: ManagedDisk[];
  private readonly logger: AgentLogger;
  private readonly reservedBytes = new Map<ManagedDisk, number>();
  private readonly lastPrepareAttempt = new Map<ManagedDisk, number>();

  constructor(options: DiskControllerOptions) {
    super();
    this.logger = (options.logger ?? silentLogger).child({ controller: 'disks' });
    this.disks = options.devices.map((spec) => new ManagedDisk({ spec, dataDir: options.dataDir, hostId: options.hostId, logger: this.logger }));
  }

  /** Prepares every disk; throws only if none can be used. */
  async start(): Promise<ManagedDisk[]> {
    await Promise.all(this.disks.map((disk) => this.prepareDisk(disk, false)));
    const ready = this.readyDisks();
    if (ready.length === 0) {
      throw new DevicePreparationError(this.disks.map((disk) => disk.spec.path).join(', '), 'no device could be prepared (see the log)');
    }
    return ready;
  }

  readyDisks(): ManagedDisk[] {
    return this.disks.filter((disk) => disk.prepared);
  }

  /** Observes every disk again, and retries the preparation of the ones that failed. */
  async reconcileAll(): Promise<void> {
    await Promise.all(
      this.disks.map(async (disk) => {
        if (!disk.prepared) {
          const last = this.lastPrepareAttempt.get(disk) ?? 0;
          if (Date.now() - last >= PREPARE_RETRY_INTERVAL_MS) await this.prepareDisk(disk, true);
          return;
        }
        await disk.observe().catch((error: Error) => this.logger.error('cannot observe a disk', { device: disk.spec.path, error: error.message }));
      }),
    );
  }

  reports(): DiskReport[] {
    return this.disks.map((disk) => disk.report(this.reservedBytes.get(disk) ?? 0)).filter((report): report is DiskReport => report !== undefined);
  }

  /**
   * Picks the healthy disk of `type` with the most free space that can hold `sizeBytes` (plus
   * {@link DISK_HEADROOM_BYTES}, minus what creations in progress will still allocate) and reserves it.
   * With `deviceId` (the disk the control plane placed the copy on) only that disk is considered:
   * the control plane counts the copy there, so it is never put on another one.
   */
  async reserve(type: DiskType, sizeBytes: number, deviceId?: string): Promise<DiskReservation> {
    const candidates = this.readyDisks().filter((disk) => disk.type === type && (deviceId === undefined || disk.deviceId === deviceId));
    await Promise.all(candidates.map((disk) => disk.observe().catch(() => undefined)));
    // From here on synchronous: two concurrent reservations see each other's bytes.
    const rows = candidates.map((disk) => {
      const observation = disk.observation;
      const usage = observation && observation.health === DiskHealth.Ok ? { ...observation, reservedBytes: this.reservedBytes.get(disk) ?? 0 } : undefined;
      return { disk, usage, free: usage ? freeAfterCreations(usage) : 0, health: observation?.health ?? DiskHealth.Failed };
    });
    const fitting = rows.filter((row) => row.usage && fitsCopy(row.usage, sizeBytes)).sort((a, b) => b.free - a.free);
    const chosen = fitting[0];
    if (!chosen) {
      const none = deviceId === undefined ? `this host has no ${type} disk` : `this host has no ready ${type} disk ${deviceId} (the disk the copy was placed on)`;
      const detail = rows.length === 0 ? none : rows.map((row) => `${row.disk.name} ${row.health}, ${(row.free / GiB).toFixed(2)} GiB free`).join('; ');
      throw new InsufficientSpaceError(type, sizeBytes, detail);
    }
    this.reservedBytes.set(chosen.disk, (this.reservedBytes.get(chosen.disk) ?? 0) + sizeBytes);
    let released = false;
    return {
      disk: chosen.disk,
      release: () => {
        if (released) return;
        released = true;
        this.reservedBytes.set(chosen.disk, (this.reservedBytes.get(chosen.disk) ?? 0) - sizeBytes);
      },
    };
  }

  private async prepareDisk(disk: ManagedDisk, emitReady: boolean): Promise<void> {
    this.lastPrepareAttempt.set(disk, Date.now());
    try {
      await disk.prepare();
      if (emitReady) this.emit('disk-ready', disk);
    } catch (error) {
      this.logger.error('cannot prepare a disk; it is reported failed and retried later', {
        device: disk.spec.path,
        error: (error as Error).message,
        retryInMs: PREPARE_RETRY_INTERVAL_MS,
      });
      await disk.observe().catch(() => undefined);
    }
  }
}
