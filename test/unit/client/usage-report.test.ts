import {
  isDeviceOrPartition,
  mountSourceOf,
  nextReportDelayMs,
  noticeFor,
  REPORT_INTERVAL_SECONDS,
  usageFromStatfs,
} from '../../../client/bridge/usage-report';
import { UTILIZATION_FRESH_SECONDS } from '../../../core/volume-policy';

const GiB = 1024 ** 3;

describe('usageFromStatfs', () => {
  it('when blocks are used, it reports (blocks − bfree) × bsize in GiB and the percent as df shows it', () => {
    // Given a 10 GiB filesystem of 4 KiB blocks, 2.5 GiB used, 5 % reserved for root
    const bsize = 4096;
    const blocks = (10 * GiB) / bsize;
    const bfree = (7.5 * GiB) / bsize;
    const bavail = bfree - blocks * 0.05;
    // When
    const usage = usageFromStatfs({ bsize, blocks, bfree, bavail });
    // Then: used / (used + available), rounded up as df does (2.5 / 9.5 = 26.3 % → 27)
    expect(usage).toEqual({ usedBytes: 2.5 * GiB, usedGiB: 2.5, percent: 27 });
  });

  it('when the filesystem is empty, it reports 0 GiB and 0 %', () => {
    expect(usageFromStatfs({ bsize: 4096, blocks: 1000, bfree: 1000, bavail: 950 })).toEqual({ usedBytes: 0, usedGiB: 0, percent: 0 });
  });

  it('when nothing is available to users, it reports 100 %', () => {
    expect(usageFromStatfs({ bsize: 1024, blocks: 1000, bfree: 50, bavail: 0 }).percent).toBe(100);
  });

  it('when a filesystem has no blocks at all (a pseudo filesystem), it reports 0 % rather than NaN', () => {
    expect(usageFromStatfs({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).toEqual({ usedBytes: 0, usedGiB: 0, percent: 0 });
  });

  it('when the used size is not a round number, it rounds usedGiB to three decimals (about 1 MiB)', () => {
    // 1 block of 4 KiB → 0.0000038 GiB → 0; 300 MiB → 0.29296875 → 0.293
    expect(usageFromStatfs({ bsize: 4096, blocks: 10, bfree: 9, bavail: 9 }).usedGiB).toBe(0);
    expect(usageFromStatfs({ bsize: 1024 * 1024, blocks: 1000, bfree: 700, bavail: 700 }).usedGiB).toBe(0.293);
  });
});

describe('mountSourceOf and isDeviceOrPartition', () => {
  const mounts = [
    'sysfs /sys sysfs rw,nosuid 0 0',
    '/dev/sda1 / ext4 rw,relatime 0 0',
    '/dev/nbd0 /mnt/data ext4 rw,relatime 0 0',
    '/dev/nbd1p1 /mnt/my\\040volume xfs rw 0 0',
    '/dev/sdb1 /mnt/over ext4 rw 0 0',
    '/dev/nbd2 /mnt/over ext4 rw 0 0',
    '',
  ].join('\n');

  it('when a directory is a mount point, it answers its source; when it is not, undefined', () => {
    expect(mountSourceOf(mounts, '/mnt/data')).toBe('/dev/nbd0');
    expect(mountSourceOf(mounts, '/mnt')).toBeUndefined();
    expect(mountSourceOf(mounts, '/mnt/data/sub')).toBeUndefined();
  });

  it('when the mount point has a space (\\040 in /proc/mounts), it still finds it', () => {
    expect(mountSourceOf(mounts, '/mnt/my volume')).toBe('/dev/nbd1p1');
  });

  it('when two filesystems are mounted on one directory, the last one (the visible one) wins', () => {
    expect(mountSourceOf(mounts, '/mnt/over')).toBe('/dev/nbd2');
  });

  it('when the source is the device or one of its partitions it matches; another device with the same prefix does not', () => {
    expect(isDeviceOrPartition('/dev/nbd0', '/dev/nbd0')).toBe(true);
    expect(isDeviceOrPartition('/dev/nbd0p2', '/dev/nbd0')).toBe(true);
    expect(isDeviceOrPartition('/dev/nbd01', '/dev/nbd0')).toBe(false);
    expect(isDeviceOrPartition('/dev/nbd10', '/dev/nbd1')).toBe(false);
    expect(isDeviceOrPartition('/dev/sda1', '/dev/nbd0')).toBe(false);
  });
});

describe('the report interval', () => {
  it('when a report took part of the interval, the next one starts one interval after the previous started', () => {
    expect(nextReportDelayMs(60, 1_000, 1_000)).toBe(60_000);
    expect(nextReportDelayMs(60, 1_000, 6_000)).toBe(55_000);
  });

  it('when a report took longer than the interval, the next one starts at once; a clock that went back waits at most one interval', () => {
    expect(nextReportDelayMs(60, 1_000, 90_000)).toBe(0);
    expect(nextReportDelayMs(60, 100_000, 1_000)).toBe(60_000);
  });

  it('when the longest interval is chosen, every report is still fresh for the scheduled evaluation', () => {
    expect(REPORT_INTERVAL_SECONDS.max).toBe(UTILIZATION_FRESH_SECONDS);
    expect(REPORT_INTERVAL_SECONDS.min).toBeLessThanOrEqual(REPORT_INTERVAL_SECONDS.default);
    expect(REPORT_INTERVAL_SECONDS.default).toBeLessThanOrEqual(REPORT_INTERVAL_SECONDS.max);
  });
});

describe('noticeFor', () => {
  const usage = { usedBytes: 0, usedGiB: 0, percent: 0 };
  const failed = { kind: 'failed', reason: 'HTTP 503' } as const;

  it('when failures follow each other, it says so once; the first success after them is said again', () => {
    const kinds = [undefined, 'reported', 'failed', 'failed', 'failed', 'reported', 'reported'] as const;
    const outcomes = [{ kind: 'reported', usage }, failed, failed, { ...failed, reason: 'timeout' }, { kind: 'reported', usage }, { kind: 'reported', usage }] as const;
    const notices = outcomes.map((outcome, index) => noticeFor(kinds[index], outcome));
    expect(notices.map((notice) => notice?.level)).toEqual(['info', 'warn', undefined, undefined, 'info', undefined]);
    expect(notices[1]!.message).toMatch(/could not report .*retrying every period: HTTP 503/);
    expect(notices[4]!.message).toMatch(/again/);
  });

  it('when the volume is not mounted yet, it says so once, and not again while it waits', () => {
    const waiting = { kind: 'not-mounted', reason: '/mnt is not a mount point, not from /dev/nbd0' } as const;
    expect(noticeFor(undefined, waiting)).toEqual({ level: 'info', message: expect.stringContaining('/mnt is not a mount point') });
    expect(noticeFor('not-mounted', waiting)).toBeUndefined();
  });
});
