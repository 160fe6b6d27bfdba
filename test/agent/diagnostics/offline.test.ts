/**
 * Offline mode on a real, read-only, loop-mounted ext4 image built by the test: a root whose
 * fstab names a filesystem UUID that does not exist, whose kern.log shows a kernel panic, and
 * whose syslog is a link to /etc/shadow. Collected through the CLI
 * (`blockplane diagnose collect --offline`), as an operator would on a recovery machine.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { runCommand } from '../../../agent/util/run-command';
import { unpackReport, UnpackedReport } from './report-archive';

const run = promisify(execFile);
const ROOT_UUID = '3f2c9a61-5b7e-4c1d-9e8f-0a1b2c3d4e5f';
const MISSING_UUID = '0badc0de-dead-4eef-8000-000000000000';
const PSK_KEY = 'c0ffee00'.repeat(8);
const AWS_KEY_ID = 'AKIAZZZZZZZZZZZZZZZZ';

/** Traditional syslog time (local), as rsyslog writes it. */
function syslogTime(at: Date): string {
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][at.getMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${month} ${String(at.getDate()).padStart(2, ' ')} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

describe('diagnose collect --offline on a loop-mounted root', () => {
  let work: string;
  let mountPoint: string;
  let device: string | undefined;
  let mounted = false;
  let report: UnpackedReport;
  let summary: { redactions: number; collectors: Record<string, string> };
  const hostShadow = readFileSync('/etc/shadow', 'utf8').split('\n')[0];

  beforeAll(async () => {
    // Given: the broken instance's root, built in a folder and written into an ext4 image
    work = mkdtempSync(path.join(os.tmpdir(), 'bp-offline-'));
    const tree = path.join(work, 'tree');
    for (const dir of ['etc', 'usr/lib', 'var/log', 'var/lib/dpkg']) mkdirSync(path.join(tree, dir), { recursive: true });
    writeFileSync(path.join(tree, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 errors=remount-ro 0 1\nUUID=${MISSING_UUID} /data ext4 defaults 0 2\n`);
    writeFileSync(path.join(tree, 'usr/lib/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
    symlinkSync('../usr/lib/os-release', path.join(tree, 'etc/os-release'));
    writeFileSync(path.join(tree, 'etc/hostname'), 'broken-instance\n');
    const now = Date.now();
    const old = syslogTime(new Date(now - 10 * 86_400_000));
    const recent = syslogTime(new Date(now - 2 * 3_600_000));
    writeFileSync(
      path.join(tree, 'var/log/kern.log'),
      [
        `${old} broken-instance kernel: [    0.000000] Linux version 6.1.0-9-amd64 (old boot)`,
        `${recent} broken-instance kernel: [    2.104331] VFS: Cannot open root device "UUID=${MISSING_UUID}" or unknown-block(0,0): error -6`,
        `${recent} broken-instance kernel: [    2.104400] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)`,
        `${recent} broken-instance kernel: [    2.104500] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-9-amd64 #1 Debian`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(tree, 'var/log/messages'),
      [
        `${recent} broken-instance app[311]: loaded key vol-1.client:${PSK_KEY}`,
        `${recent} broken-instance app[311]: using ${AWS_KEY_ID} with password=s3cr3t-pass`,
        '',
      ].join('\n'),
    );
    symlinkSync('/etc/shadow', path.join(tree, 'var/log/syslog'));
    symlinkSync('../../../../../../../etc', path.join(tree, 'var/log/journal'));
    writeFileSync(path.join(tree, 'var/lib/dpkg/status'), 'Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n\n');
    const image = path.join(work, 'root.img');
    await runCommand('truncate', ['-s', '64M', image]);
    await runCommand('mkfs.ext4', ['-q', '-F', '-U', ROOT_UUID, '-d', tree, image], { timeoutMs: 60_000 });
    device = (await runCommand('losetup', ['-f', '--show', '-r', image])).stdout.trim();
    mountPoint = path.join(work, 'mnt');
    mkdirSync(mountPoint);
    await runCommand('mount', ['-o', 'ro', device, mountPoint]);
    mounted = true;

    // When
    const out = path.join(work, 'report.tar.gz');
    const { stdout } = await run('npx', ['tsx', 'bin/blockplane.ts', 'diagnose', 'collect', '--offline', mountPoint, '--since', '24h', '--out', out], { timeout: 120_000 });
    summary = JSON.parse(stdout);
    report = unpackReport(readFileSync(out));
  }, 180_000);

  afterAll(async () => {
    if (mounted) await runCommand('umount', [mountPoint]);
    if (device) await runCommand('losetup', ['-d', device]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const entry = (name: string) => report.manifest.collectors.find((candidate) => candidate.name === name)!;
  const file = (name: string) => report.files.get(`report/files/${name}`)?.toString('utf8');

  it('when the root is read, the manifest says offline, names the root and the image host name', () => {
    expect(report.manifest).toMatchObject({ formatVersion: 1, source: 'offline', offlineRoot: mountPoint, hostname: 'broken-instance' });
    expect(report.entries.every((e) => (e.type === 'd' || e.type === '-') && e.path.startsWith('report/'))).toBe(true);
  });

  it("when fstab names a UUID that does not exist, the report carries the image's fstab as it is", () => {
    expect(entry('fstab')).toMatchObject({ status: 'ok', files: ['files/fstab'] });
    expect(file('fstab')).toContain(`UUID=${MISSING_UUID} /data`);
  });

  it('when kern.log shows a kernel panic in the window, the report carries those lines and not the older ones', () => {
    expect(entry('logs-kern.log')).toMatchObject({ status: 'ok', files: ['files/logs/kern.log'] });
    expect(file('logs/kern.log')).toContain('Kernel panic - not syncing: VFS: Unable to mount root fs');
    expect(file('logs/kern.log')).not.toContain('(old boot)');
  });

  it('when os-release is a link inside the root, it is followed inside the root', () => {
    expect(entry('os-release').status).toBe('ok');
    expect(file('os-release')).toContain('ID=debian');
  });

  it("when syslog is a link to /etc/shadow, it is resolved inside the root (absent there), never to this machine's", () => {
    expect(entry('logs-syslog')).toMatchObject({ status: 'absent', files: [] });
    expect(report.everything).not.toContain(hostShadow);
    expect(entry('journal')).toMatchObject({ status: 'absent' });
  });

  it('when the package database is there, it is collected', () => {
    expect(entry('dpkg-status')).toMatchObject({ status: 'ok' });
    expect(file('dpkg-status')).toContain('Package: openssh-server');
  });

  it('when a source describes the live machine, it is absent offline', () => {
    for (const name of ['uname', 'df', 'ps', 'uptime', 'meminfo', 'mounts', 'dmesg']) expect(entry(name).status).toBe('absent');
  });

  it("when the root is mounted from a loop device, lsblk and blkid describe that device only, blkid with the root filesystem's UUID", () => {
    expect(entry('lsblk')).toMatchObject({ status: 'ok', files: ['files/lsblk.json'] });
    const lsblk = JSON.parse(file('lsblk.json')!) as { blockdevices: { name: string }[] };
    expect(lsblk.blockdevices.map((blockdevice) => blockdevice.name)).toEqual([path.basename(device!)]);
    expect(entry('blkid')).toMatchObject({ status: 'ok', files: ['files/blkid.txt'] });
    expect(file('blkid.txt')).toContain(`UUID=${ROOT_UUID}`);
    expect(file('blkid.txt')).toContain('TYPE=ext4');
    expect(file('blkid.txt')).not.toContain(MISSING_UUID);
  });

  it('when the logs hold planted secrets, none is in the archive and the count is right', () => {
    expect(report.everything).not.toContain(PSK_KEY);
    expect(report.everything).not.toContain(AWS_KEY_ID);
    expect(report.everything).not.toContain('s3cr3t-pass');
    expect(file('logs/messages')).toContain('vol-1.client:[REDACTED]');
    expect(report.manifest.redactions).toBe(3);
    expect(summary.redactions).toBe(3);
  });

  it('when the offline root does not exist, the CLI exits 3; when since is malformed, 2', async () => {
    const missing = path.join(work, 'no-such-root');
    expect(existsSync(missing)).toBe(false);
    await expect(run('npx', ['tsx', 'bin/blockplane.ts', 'diagnose', 'collect', '--offline', missing, '--out', path.join(work, 'x.tar.gz')])).rejects.toMatchObject({ code: 3 });
    await expect(run('npx', ['tsx', 'bin/blockplane.ts', 'diagnose', 'collect', '--since', 'yesterday'])).rejects.toMatchObject({ code: 2 });
  }, 60_000);
});
