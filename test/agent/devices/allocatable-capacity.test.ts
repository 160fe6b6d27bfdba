/**
 * Pins issue 7 "placement promises only what a disk can hold": on a real 4 GiB loop device
 * (the local fleet's disk size), the capacity the agent reports is what it can create, also
 * while another creation is in progress (seen as "no healthy hdd disk has room … -0.16 GiB free").
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allocatableBytes, fitsCopy, freeAfterCreations } from '../../../agent/devices/allocatable-capacity';
import { DiskController } from '../../../agent/devices/disk-controller';
import { GiB } from '../../../agent/devices/managed-disk';
import { runCommand } from '../../../agent/util/run-command';
import { testLogger } from '../helpers/agent-host';
import { LoopDevice } from '../helpers/loop-device';

jest.setTimeout(120_000);

describe('allocatable capacity', () => {
  test('when a creation in progress has allocated part of its file, those bytes are not counted twice', () => {
    const usage = { freeBytes: 10 * GiB, copyBytes: 0, creatingBytes: 3 * GiB, reservedBytes: 4 * GiB };
    expect(freeAfterCreations(usage)).toBe(9 * GiB);
    expect(allocatableBytes(usage)).toBe(13 * GiB - 128 * 1024 ** 2);
    expect(fitsCopy(usage, 8 * GiB)).toBe(true);
    expect(fitsCopy(usage, 9 * GiB)).toBe(false);
  });
});

describe('reported capacity on a real loop device', () => {
  let device: LoopDevice;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-capacity-'));
    device = await LoopDevice.create(4 * GiB);
  });

  afterAll(async () => {
    await device.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('when the control plane places as many 1 GiB copies as reported, each is created, even while another creation is in progress', async () => {
    // Given
    const controller = new DiskController({ dataDir, hostId: 'host-cap', devices: [{ path: device.device, type: 'hdd' }], logger: testLogger({ test: 'capacity' }) });
    const [disk] = await controller.start();
    const reported = controller.reports()[0]!.capacityGiB;
    expect(reported).toBe(3);
    // When: the first creation has allocated its file and not yet written its metadata
    const inProgress = await controller.reserve('hdd', GiB);
    const folder = path.join(disk!.store.dataDir, 'cpy-000000000001');
    await fs.mkdir(folder);
    await runCommand('fallocate', ['-l', String(GiB), path.join(folder, 'data.raw')]);
    await disk!.observe();
    const duringCreation = controller.reports()[0]!.capacityGiB;
    const others = [];
    for (let i = 2; i <= reported; i++) {
      const reservation = await controller.reserve('hdd', GiB);
      others.push(await reservation.disk.store.create({ volumeId: `vol-${i}`, copyId: `cpy-00000000000${i}`, role: 'mirror', generation: 1, sizeBytes: GiB, iops: 100 }));
      reservation.release();
    }
    inProgress.release();
    // Then
    expect(duringCreation).toBe(reported);
    expect(others).toHaveLength(reported - 1);
    await expect(controller.reserve('hdd', GiB)).rejects.toThrow(/room/);
    for (const copy of others) await copy.release();
  });
});

describe('the disk the control plane placed a copy on', () => {
  const devices: LoopDevice[] = [];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-placed-disk-'));
    for (let i = 0; i < 2; i++) devices.push(await LoopDevice.create(GiB));
  });

  afterAll(async () => {
    for (const device of devices) await device.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('when create-copy names a disk, the copy is reserved on that disk even if another has more room, and never on another one', async () => {
    // Given: two hdd disks; the first holds a 256 MiB file, so the second has the most room
    const controller = new DiskController({ dataDir, hostId: 'host-placed', devices: devices.map((device) => ({ path: device.device, type: 'hdd' as const })), logger: testLogger({ test: 'placed-disk' }) });
    const [first, second] = await controller.start();
    await runCommand('fallocate', ['-l', String(256 * 1024 ** 2), path.join(first!.store.dataDir, 'filler')]);
    await first!.observe();
    const [firstId, secondId] = controller.reports().map((report) => report.deviceId);
    // When
    const unplaced = await controller.reserve('hdd', 128 * 1024 ** 2);
    const placed = await controller.reserve('hdd', 128 * 1024 ** 2, firstId);
    // Then
    expect(unplaced.disk).toBe(second);
    expect(placed.disk).toBe(first);
    unplaced.release();
    placed.release();
    expect(secondId).not.toBe(firstId);
    await expect(controller.reserve('hdd', 128 * 1024 ** 2, 'no-such-disk')).rejects.toThrow(/no ready hdd disk no-such-disk/);
    await expect(controller.reserve('hdd', 900 * 1024 ** 2, firstId)).rejects.toThrow(/room/);
  });
});
