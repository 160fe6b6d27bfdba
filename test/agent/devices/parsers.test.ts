/**
 * The pure parsers the disks controller decides with: lsblk JSON (captured here, and in the
 * shapes EC2 and older util-linux print), blkid -p export output, /proc/self/mountinfo, and
 * the --device flag.
 */
import { parseDeviceSpec } from '../../../agent/devices/device-spec';
import { deviceIdOf, parseBlkidExport, parseLsblkJson } from '../../../agent/devices/lsblk';
import { mountAt, parseMountInfo } from '../../../agent/devices/mountinfo';
import { AgentOptionsError, DevicePreparationError } from '../../../agent/errors';

/** Captured on the test machine: util-linux 2.38.1, a fresh loop device over a sparse file. */
const CAPTURED_LOOP = `{
   "blockdevices": [
      {
         "name": "loop0",
         "path": "/dev/loop0",
         "fstype": null,
         "serial": null,
         "rota": true,
         "size": 2147483648,
         "type": "loop",
         "maj:min": "7:0"
      }
   ]
}`;

/**
 * The shape of an EBS gp3 volume on a Nitro instance (util-linux 2.37, Amazon Linux 2023):
 * an NVMe namespace whose serial is the volume id without its dash, padded by the device.
 */
const EC2_EBS_NVME = `{"blockdevices": [
  {"name":"nvme1n1", "path":"/dev/nvme1n1", "fstype":null, "serial":"vol0a1b2c3d4e5f60718 ", "rota":false, "size":107374182400, "type":"disk", "maj:min":"259:1"},
  {"name":"nvme2n1", "path":"/dev/nvme2n1", "fstype":"ext4", "serial":"AWS22A5C1D1B3A1E9B6F", "rota":false, "size":1900000000000, "type":"disk", "maj:min":"259:2"}
]}`;

/** util-linux before 2.33 (Amazon Linux 2): flags and sizes as strings, no PATH column. */
const OLD_UTIL_LINUX = `{"blockdevices": [
  {"name": "xvdf", "fstype": null, "serial": null, "rota": "1", "size": "536870912000", "type": "disk", "maj:min": "202:80"}
]}`;

describe('lsblk JSON', () => {
  it('when a fresh loop device is listed, it is read as rotational, its size in bytes, no filesystem, no serial', () => {
    expect(parseLsblkJson(CAPTURED_LOOP)).toEqual([
      { name: 'loop0', path: '/dev/loop0', fstype: undefined, serial: undefined, rotational: true, sizeBytes: 2147483648, kind: 'loop', majMin: '7:0' },
    ]);
  });

  it('when an EBS NVMe device is listed, its serial gives the volume id as deviceId, and it is not rotational', () => {
    const [ebs, instanceStore] = parseLsblkJson(EC2_EBS_NVME);
    expect(ebs).toMatchObject({ name: 'nvme1n1', rotational: false, sizeBytes: 107374182400, serial: 'vol0a1b2c3d4e5f60718' });
    expect(deviceIdOf(ebs!, 'h1')).toBe('vol-0a1b2c3d4e5f60718');
    expect(deviceIdOf(instanceStore!, 'h1')).toBe('AWS22A5C1D1B3A1E9B6F');
    expect(instanceStore!.fstype).toBe('ext4');
  });

  it('when an older util-linux prints strings for flags and sizes, they are read the same', () => {
    expect(parseLsblkJson(OLD_UTIL_LINUX)).toEqual([
      { name: 'xvdf', path: '/dev/xvdf', fstype: undefined, serial: undefined, rotational: true, sizeBytes: 536870912000, kind: 'disk', majMin: '202:80' },
    ]);
  });

  it('when a device has no serial, its deviceId is the host id and kernel name', () => {
    expect(deviceIdOf({ name: 'loop7', serial: undefined }, 'host-a')).toBe('host-a-loop7');
  });

  it('when lsblk printed human sizes (no --bytes) or no JSON, it is refused with the reason', () => {
    expect(() => parseLsblkJson('{"blockdevices":[{"name":"sda","size":"100G","rota":false}]}')).toThrow(/size "100G" is not a byte count/);
    expect(() => parseLsblkJson('lsblk: /dev/nope: not a block device')).toThrow(DevicePreparationError);
    expect(() => parseLsblkJson('{"devices":[]}')).toThrow(/no "blockdevices" array/);
  });
});

describe('blkid -p export output', () => {
  it('when the device holds ext4, its type and uuid are read; when it is partitioned, the table type', () => {
    expect(parseBlkidExport('DEVNAME=/dev/loop0\nUUID=9982e284-7a79-4e23-8f11-b69c9f413cd0\nVERSION=1.0\nBLOCK_SIZE=4096\nTYPE=ext4\nUSAGE=filesystem\n')).toEqual({
      type: 'ext4',
      uuid: '9982e284-7a79-4e23-8f11-b69c9f413cd0',
    });
    expect(parseBlkidExport('DEVNAME=/dev/sdb\nPTUUID=1a2b\nPTTYPE=gpt\n')).toEqual({ partitionTable: 'gpt' });
    expect(parseBlkidExport('')).toEqual({});
  });
});

describe('/proc/self/mountinfo', () => {
  const text = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '91 27 7:3 / /var/lib/blockplane/disks/loop3 rw,noatime shared:50 - ext4 /dev/loop3 rw',
    '92 27 259:1 / /var/lib/block\\040plane/disks/nvme1n1 ro,noatime - ext4 /dev/nvme1n1 rw',
    '93 27 259:2 / /data rw,noatime - ext4 /dev/nvme2n1 ro,errors=remount-ro',
  ].join('\n');

  it('when mounts are listed, each gives its device number, mount point (unescaped), source, read-only flag and mount options', () => {
    const mounts = parseMountInfo(text);
    expect(mountAt(mounts, '/var/lib/blockplane/disks/loop3')).toEqual({ device: '7:3', mountPoint: '/var/lib/blockplane/disks/loop3', fstype: 'ext4', source: '/dev/loop3', readOnly: false, options: ['rw', 'noatime'] });
    expect(mountAt(mounts, '/var/lib/block plane/disks/nvme1n1')).toMatchObject({ device: '259:1', readOnly: true });
    expect(mountAt(mounts, '/data')).toMatchObject({ readOnly: true });
    expect(mountAt(mounts, '/nowhere')).toBeUndefined();
  });
});

describe('--device PATH[:ssd|hdd[:IOPS]]', () => {
  it.each([
    ['/dev/nvme1n1', { path: '/dev/nvme1n1' }],
    ['/dev/loop3:ssd', { path: '/dev/loop3', type: 'ssd' }],
    ['/dev/loop4:hdd:2000', { path: '/dev/loop4', type: 'hdd', iopsCapacity: 2000 }],
  ])('when it is %s, it is read as %j', (flag, expected) => {
    expect(parseDeviceSpec(flag)).toEqual(expected);
  });

  it.each([
    ['nvme1n1', /allowed a path under \/dev\//],
    ['/dev/loop3:tape', /received type "tape", allowed ssd \| hdd/],
    ['/dev/loop3:ssd:-5', /received IOPS "-5"/],
    ['/dev/loop3:ssd:0', /received IOPS "0"/],
    ['/dev/loop3::100', /needs the type before it/],
    ['/dev/loop3:ssd:100:x', /allowed PATH\[:ssd\|hdd\[:IOPS\]\]/],
  ])('when it is %s, it is refused with the reason', (flag, reason) => {
    expect(() => parseDeviceSpec(flag)).toThrow(AgentOptionsError);
    expect(() => parseDeviceSpec(flag)).toThrow(reason);
  });
});
