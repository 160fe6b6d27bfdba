/**
 * The disks controller on real loop devices: a fresh device is formatted and mounted under
 * the data directory, a second run reuses it as it is, and its health follows its mount.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskController } from '../../../agent/devices/disk-controller';
import { ManagedDisk } from '../../../agent/devices/managed-disk';
import { probeFilesystem } from '../../../agent/devices/lsblk';
import { runCommand } from '../../../agent/util/run-command';
import { testLogger } from '../helpers/agent-host';
import { LoopDevice } from '../helpers/loop-device';

jest.setTimeout(120_000);

describe('disks controller on real loop devices', () => {
  const devices: LoopDevice[] = [];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-disks-'));
  });

  afterAll(async () => {
    for (const device of devices) await device.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function newDevice(sizeBytes = 2 * 1024 ** 3): Promise<LoopDevice> {
    const device = await LoopDevice.create(sizeBytes);
    devices.push(device);
    return device;
  }

  const controllerFor = (...specs: Array<{ path: string; type?: 'ssd' | 'hdd'; iopsCapacity?: number }>) =>
    new DiskController({ dataDir, hostId: 'host-t', devices: specs, logger: testLogger({ test: 'disks' }) });

  it('when a fresh device has no filesystem, it is formatted ext4 and mounted at <data-dir>/disks/<name>, and reported', async () => {
    // Given
    const device = await newDevice();
    expect(await probeFilesystem(device.device)).toEqual({});
    // When
    const [disk] = await controllerFor({ path: device.device, type: 'ssd', iopsCapacity: 3000 }).start();
    // Then
    const name = path.basename(device.device);
    expect(disk!.mountPoint).toBe(path.join(dataDir, 'disks', name));
    expect(await device.mountPoints()).toEqual([disk!.mountPoint]);
    expect((await probeFilesystem(device.device)).type).toBe('ext4');
    expect(disk!.report()).toEqual({ deviceId: `host-t-${name}`, type: 'ssd', capacityGiB: 1, iopsCapacity: 3000, health: 'ok' });
    await fs.access(path.join(disk!.mountPoint!, 'copies'));
  });

  it('when the agent starts again on a device it formatted, the filesystem and its files are kept, mounted or not', async () => {
    // Given
    const device = await newDevice();
    const [first] = await controllerFor({ path: device.device }).start();
    const uuid = (await probeFilesystem(device.device)).uuid;
    await fs.writeFile(path.join(first!.mountPoint!, 'copies', 'marker'), 'kept');
    // When: a second run while it is mounted, then one after it was unmounted
    const [second] = await controllerFor({ path: device.device }).start();
    const mountsWhileMounted = await device.mountPoints();
    await runCommand('umount', [first!.mountPoint!]);
    const [third] = await controllerFor({ path: device.device }).start();
    // Then
    expect(mountsWhileMounted).toEqual([first!.mountPoint]);
    expect(await device.mountPoints()).toEqual([first!.mountPoint]);
    expect((await probeFilesystem(device.device)).uuid).toBe(uuid);
    expect(await fs.readFile(path.join(third!.mountPoint!, 'copies', 'marker'), 'utf8')).toBe('kept');
    expect(second!.mountPoint).toBe(first!.mountPoint);
  });

  it('when the flag gives no type, a rotational device is an hdd with 500 IOPS', async () => {
    const device = await newDevice();
    const [disk] = await controllerFor({ path: device.device }).start();
    expect(disk!.report()).toMatchObject({ type: 'hdd', iopsCapacity: 500 });
  });

  it('when the mount goes away or turns read-only, the disk is reported failed, and the host keeps running', async () => {
    // Given
    const device = await newDevice();
    const controller = controllerFor({ path: device.device, type: 'ssd' });
    const [disk] = await controller.start();
    // When / Then
    await runCommand('mount', ['-o', 'remount,ro', disk!.mountPoint!]);
    expect(await disk!.observe()).toMatchObject({ health: 'failed', reason: expect.stringContaining('read-only') });
    await runCommand('umount', [disk!.mountPoint!]);
    expect(await disk!.observe()).toMatchObject({ health: 'failed', reason: expect.stringContaining('no longer mounted') });
    expect(controller.reports()).toEqual([expect.objectContaining({ health: 'failed' })]);
  });

  it('when a device has a partition table and no filesystem, it is refused and left unformatted', async () => {
    // Given: an MBR with one partition entry
    const device = await newDevice(100 * 1024 ** 2);
    const mbr = Buffer.alloc(512);
    Buffer.from([0, 0, 0, 0, 0x83, 0, 0, 0]).copy(mbr, 446);
    mbr.writeUInt32LE(2048, 454);
    mbr.writeUInt32LE(100_000, 458);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const handle = await fs.open(device.device, 'r+');
    await handle.write(mbr, 0, 512, 0);
    await handle.close();
    // When
    const disk = new ManagedDisk({ spec: { path: device.device }, dataDir, hostId: 'host-t' });
    // Then
    await expect(disk.prepare()).rejects.toThrow(/dos partition table and no filesystem/);
    expect(await probeFilesystem(device.device)).toEqual({ partitionTable: 'dos' });
    expect(await device.mountPoints()).toEqual([]);
  });

  it('when one device is missing, the others start and it is left out; when none can start, start fails', async () => {
    // Given
    const device = await newDevice();
    // When
    const controller = controllerFor({ path: device.device, type: 'ssd' }, { path: '/dev/bp-no-such-device' });
    const ready = await controller.start();
    // Then
    expect(ready.map((disk) => disk.spec.path)).toEqual([device.device]);
    expect(controller.reports()).toHaveLength(1);
    await expect(controllerFor({ path: '/dev/bp-no-such-device' }).start()).rejects.toThrow(/no device could be prepared/);
  });
});
