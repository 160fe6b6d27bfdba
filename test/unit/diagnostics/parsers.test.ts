import { parseAgentState } from '../../../core/diagnostics/parsers/agent-state';
import { parseDf } from '../../../core/diagnostics/parsers/df';
import { parseFree } from '../../../core/diagnostics/parsers/free';
import { parseFstab } from '../../../core/diagnostics/parsers/fstab';
import { lineTime } from '../../../core/diagnostics/parsers/log';
import { parseLsblk } from '../../../core/diagnostics/parsers/lsblk';
import { parseLsmod } from '../../../core/diagnostics/parsers/lsmod';
import { parseMeminfo } from '../../../core/diagnostics/parsers/meminfo';
import { parseMounts } from '../../../core/diagnostics/parsers/mounts';
import { parseNvmeList } from '../../../core/diagnostics/parsers/nvme-list';
import { parseOsRelease } from '../../../core/diagnostics/parsers/os-release';
import { parsePs } from '../../../core/diagnostics/parsers/ps';
import { parseQsdVersion } from '../../../core/diagnostics/parsers/qsd-version';
import { parseSar } from '../../../core/diagnostics/parsers/sar';
import { parseSysctl } from '../../../core/diagnostics/parsers/sysctl';
import { parseTimeSync } from '../../../core/diagnostics/parsers/time-sync';
import { parseUname } from '../../../core/diagnostics/parsers/uname';
import { parseUptime } from '../../../core/diagnostics/parsers/uptime';

const GARBLE = '\u0000\u00ff\ufffd{{[[ not output at all ]]\n\n\t\t';

/** Every parser on empty, garbled and binary input: no throw, nothing invented. */
const ALL_PARSERS: Record<string, (text: string) => unknown> = {
  parseAgentState, parseDf, parseFree, parseFstab, parseLsblk, parseLsmod, parseMeminfo, parseMounts, parseNvmeList,
  parseOsRelease, parsePs, parseQsdVersion, parseSar, parseSysctl, parseTimeSync, parseUname, parseUptime,
};

describe('diagnostic parsers', () => {
  it.each(Object.entries(ALL_PARSERS))('%s survives empty, garbled and binary input', (_, parse) => {
    for (const input of ['', GARBLE, Buffer.from([0, 1, 2, 255, 10, 13]).toString('latin1')]) expect(() => parse(input)).not.toThrow();
  });

  it('sar -A: the CPU all row, swapping and memory averages; a cut or garbled section gives nothing for it', () => {
    const sar = [
      'Linux 6.1.0-18-amd64 (web-1) \t12/01/2026 \t_x86_64_\t(2 CPU)',
      '',
      '12:00:01 AM     CPU     %user     %nice   %system   %iowait    %steal     %idle',
      '12:10:01 AM     all      2.10      0.00      0.55     41.20      0.00     56.15',
      'Average:        CPU     %user     %nice   %system   %iowait    %steal     %idle',
      'Average:        all      2.10      0.00      0.55     41,20      0.30     55.85',
      'Average:          0      2.00      0.00      0.50     80.00      0.00     17.50',
      '',
      'Average:     pswpin/s pswpout/s',
      'Average:       120.50    310.25',
      '',
      'Average:    kbmemfree   kbavail kbmemused  %memused kbbuffers  kbcached',
      'Average:       102400    204800   7900000     96.40     10000    300000',
    ].join('\n');
    expect(parseSar(sar)).toEqual({
      cpuIowaitPercent: 41.2, cpuStealPercent: 0.3, cpuIdlePercent: 55.85, swapInPagesPerSecond: 120.5, swapOutPagesPerSecond: 310.25, memUsedPercent: 96.4,
    });
    expect(parseSar(sar.split('\n').slice(0, 6).join('\n') + '\nAverage:     pswpin/s pswpout/s\nAverage:       120.50')).toEqual({
      cpuIowaitPercent: 41.2, cpuStealPercent: 0.3, cpuIdlePercent: 55.85, swapInPagesPerSecond: undefined, swapOutPagesPerSecond: undefined, memUsedPercent: undefined,
    });
  });

  it('uname: Debian and Amazon Linux kernels; a truncated line gives nothing', () => {
    expect(parseUname('Linux web-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux\n')).toEqual({
      kernelName: 'Linux', hostname: 'web-1', kernelRelease: '6.1.0-18-amd64', kernelVersion: '6.1.0', machine: 'x86_64',
    });
    expect(parseUname('Linux ip-10-0-1-5 5.10.210-201.852.amzn2.aarch64 #1 SMP Mon Feb 12 18:41:14 UTC 2024 aarch64 aarch64 aarch64 GNU/Linux').kernelVersion).toBe('5.10.210');
    expect(parseUname('Linux web')).toEqual({});
  });

  it('os-release: quoted and bare values', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('uptime: seconds; garbage gives none', () => {
    expect(parseUptime('350735.47 234388.90\n')).toEqual({ seconds: 350735.47 });
    expect(parseUptime('abc')).toEqual({});
  });

  it('df: skips tmpfs and overlay, keeps mount points with spaces out, finds the fullest; a truncated last row is ignored', () => {
    const text = [
      'Filesystem     1024-blocks     Used Available Capacity Mounted on',
      'udev               4003744        0   4003744       0% /dev',
      '/dev/nvme0n1p1    20509264 19000000   1509264      93% /',
      'tmpfs              1018880  1018880         0     100% /run/user/1000',
      '/dev/nvme1n1     103081248 20000000  83081248      20% /data',
      '/dev/nvme2n1     10308',
    ].join('\n');
    const df = parseDf(text);
    expect(df.rows.map((row) => row.mountedOn)).toEqual(['/', '/data']);
    expect(df).toMatchObject({ maxUsedPercent: 93, fullestMount: '/', nearFull: ['/ 93%'] });
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n')).toMatchObject({ rows: [], maxUsedPercent: undefined });
  });

  it('meminfo: derives percentages only from complete inputs (a file cut before SwapFree has no swap figure)', () => {
    const full = parseMeminfo('MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:     400000 kB\nSwapTotal:       2000000 kB\nSwapFree:         500000 kB\nHugePages_Total:       0\n');
    expect(full).toMatchObject({ memAvailablePercent: 5, swapUsedPercent: 75 });
    const truncated = parseMeminfo('MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:     400000 kB\nSwapTotal:       2000000 kB\nSwapF');
    expect(truncated.swapUsedPercent).toBeUndefined();
    expect(truncated.memAvailablePercent).toBe(5);
  });

  it('free: procps 3.3+ columns, and the old layout without "available"', () => {
    expect(parseFree('               total        used        free      shared  buff/cache   available\nMem:         8000000     3000000     1000000       10000     4000000     4500000\nSwap:        2097148       10240     2086908\n'))
      .toEqual({ memTotalKiB: 8000000, memAvailableKiB: 4500000, swapTotalKiB: 2097148, swapUsedKiB: 10240 });
    expect(parseFree('             total       used       free     shared    buffers     cached\nMem:       8000000    7000000    1000000          0     100000    2000000\n').memAvailableKiB).toBeUndefined();
  });

  it('mounts: read-only disk filesystems only, octal escapes decoded', () => {
    const mounts = parseMounts('/dev/vda1 / ext4 rw,relatime 0 0\n/dev/vdb1 /mnt/my\\040data xfs ro,relatime 0 0\n/dev/loop0 /snap/core squashfs ro 0 0\nproc /proc proc rw 0 0\n');
    expect(mounts).toEqual({ count: 4, readOnlyDiskFilesystems: ['/mnt/my data (/dev/vdb1)'] });
  });

  it('fstab: comments skipped, malformed lines reported', () => {
    const fstab = parseFstab('# /etc/fstab\nUUID=abc / ext4 defaults 0 1\n\n/dev/xvdf /data\n/swapfile none swap sw 0 0\n');
    expect(fstab.entries.map((entry) => entry.mountpoint)).toEqual(['/', 'none']);
    expect(fstab.malformedLines).toEqual(['/dev/xvdf /data']);
  });

  it('lsblk: nested children, duplicate UUIDs; truncated JSON is unreadable, not empty-and-fine', () => {
    const text = JSON.stringify({ blockdevices: [{ name: 'vda', type: 'disk', children: [{ name: 'vda1', uuid: 'u1' }] }, { name: 'vdb', type: 'disk', children: [{ name: 'vdb1', uuid: 'u1' }] }] });
    expect(parseLsblk(text)).toMatchObject({ uuids: ['u1', 'u1'], duplicateUuids: ['u1'] });
    expect(parseLsblk(text.slice(0, 40)).unreadable).toBeDefined();
  });

  it('time sync: timedatectl and chrony', () => {
    expect(parseTimeSync('System clock synchronized: no\n')).toEqual({ synchronized: false, offsetSeconds: undefined });
    expect(parseTimeSync('System time     : 0.000031 seconds slow of NTP time\nLeap status     : Not synchronised\n')).toEqual({ synchronized: false, offsetSeconds: 0.000031 });
    expect(parseTimeSync('garbage')).toEqual({ synchronized: undefined, offsetSeconds: undefined });
  });

  it('ps: zombies and D-state; a cut row is skipped', () => {
    const ps = parsePs('    PID    PPID STAT   RSS    VSZ     ELAPSED COMMAND\n      1       0 Ss   12000 170000  5-01:02:03 systemd\n     77       1 Z        0      0       01:00 worker <defunct>\n     78       1 D     2000  10000       01:00 dd\n     79       1 S');
    expect(ps).toMatchObject({ processCount: 3, zombieCount: 1, uninterruptibleCount: 1 });
  });

  it('sysctl, lsmod, nvme list, qsd version', () => {
    expect(parseSysctl('vm.swappiness = 60\nkernel.hostname = web-1\n').get('vm.swappiness')).toBe('60');
    expect(parseLsmod('Module                  Size  Used by\nnbd                    65536  2\next4                  1003520  1\n')).toEqual(['nbd', 'ext4']);
    expect(parseNvmeList('{"Devices":[{"DevicePath":"/dev/nvme0n1","ModelNumber":"Amazon Elastic Block Store"}]}')).toEqual({ devices: ['/dev/nvme0n1'] });
    expect(parseNvmeList('{"Devices":[{"DevicePa').unreadable).toBeDefined();
    expect(parseQsdVersion('qemu-storage-daemon version 7.2.9 (Debian 1:7.2+dfsg-7+deb12u6)\nCopyright (c) 2003-2022 Fabrice Bellard')).toEqual({ version: '7.2.9' });
  });

  it('agent state: stale, dead and fenced copies; truncated JSON is unreadable', () => {
    const state = JSON.stringify({ hostId: 'h1', agentVersion: '0.1.0', copies: [
      { volumeId: 'v1', copyId: 'c1', state: 'replica-stale' }, { volumeId: 'v2', copyId: 'c2', state: 'daemon-died' }, { volumeId: 'v3', copyId: 'c3', state: 'held', detail: 'fenced at generation 4' },
    ] });
    expect(parseAgentState(state)).toMatchObject({ copyCount: 3, staleReplicas: ['v1/c1'], deadDaemons: ['v2/c2'], fencedCopies: ['v3/c3'] });
    expect(parseAgentState(state.slice(0, 30)).unreadable).toBeDefined();
  });

  it('log times: dmesg -T, syslog (year from the collection, December lines in January are last year) and ISO', () => {
    const collectedAt = new Date('2026-01-02T00:00:00Z');
    expect(lineTime('[Tue Dec  1 11:30:00 2026] nvme nvme0: resetting controller', collectedAt)).toBe(Date.UTC(2026, 11, 1, 11, 30));
    expect(lineTime('Dec 31 23:00:00 web-1 kernel: x', collectedAt)).toBe(Date.UTC(2025, 11, 31, 23));
    expect(lineTime('2026-01-01T10:00:00+0100 web-1 kernel: x', collectedAt)).toBe(Date.UTC(2026, 0, 1, 9));
    expect(lineTime('[  12.345] no wall clock', collectedAt)).toBeUndefined();
  });
});
