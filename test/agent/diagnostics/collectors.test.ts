/**
 * The collectors on this machine, with its real commands and files: each manifest entry
 * matches what is in the archive, a tool that is not installed is `absent`, a collector that
 * hangs is `timed-out` (and its command killed), and a source over its cap is cut to the cap.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { blkidCollector, lsblkCollector } from '../../../agent/diagnostics/block-device-collectors';
import { runCapped } from '../../../agent/diagnostics/capped-command';
import { Collector, runCollector } from '../../../agent/diagnostics/collector';
import { commandCollector } from '../../../agent/diagnostics/command-collectors';
import { fileCollector } from '../../../agent/diagnostics/file-collectors';
import { FileRoot } from '../../../agent/diagnostics/file-root';
import { logFileCollector } from '../../../agent/diagnostics/log-collectors';
import { buildReport } from '../../../agent/diagnostics/report-builder';
import { unpackReport, UnpackedReport } from './report-archive';

const installed = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const MiB = 1024 * 1024;

describe('the default collectors on this machine', () => {
  let report: UnpackedReport;
  beforeAll(async () => {
    const now = new Date();
    const built = await buildReport({ source: 'instance', root: await FileRoot.open('/'), since: new Date(now.getTime() - 3_600_000), now });
    report = unpackReport(built.archive);
  }, 120_000);

  const entry = (name: string) => report.manifest.collectors.find((candidate) => candidate.name === name)!;

  it('when the report is packed, it holds only directories and regular files, all under report/', () => {
    expect(report.entries.every((e) => e.type === 'd' || e.type === '-')).toBe(true);
    expect(report.entries.every((e) => e.path.startsWith('report/') && !e.path.includes('..'))).toBe(true);
    expect(report.manifest).toMatchObject({ formatVersion: 1, source: 'instance', hostname: os.hostname(), redactions: expect.any(Number) });
  });

  it.each([
    ['uname', 'uname.txt', 'uname'],
    ['df', 'df.txt', 'df'],
    ['df-inodes', 'df-inodes.txt', 'df'],
    ['free', 'free.txt', 'free'],
    ['ps', 'ps.txt', 'ps'],
    ['lsmod', 'lsmod.txt', 'lsmod'],
    ['lsblk', 'lsblk.json', 'lsblk'],
    ['nvme-list', 'nvme-list.json', 'nvme'],
    ['sar', 'sar.txt', 'sar'],
    ['sysctl', 'sysctl.txt', 'sysctl'],
  ])('when the %s collector ran, its entry says ok with the bytes of %s, or absent when %s is not installed', (name, file, tool) => {
    const collected = entry(name);
    expect(collected.durationMs).toBeGreaterThanOrEqual(0);
    if (!installed(tool)) {
      expect(collected).toMatchObject({ status: 'absent', bytes: 0, files: [], error: `${tool} is not installed` });
      return;
    }
    if (collected.status !== 'ok') {
      // Installed but failing here (sar without data files): a failure says why.
      expect(collected).toMatchObject({ status: 'failed', bytes: 0, files: [], error: expect.stringContaining(tool) });
      return;
    }
    const content = report.files.get(`report/files/${file}`)!;
    expect(collected).toMatchObject({ status: 'ok', files: [`files/${file}`], bytes: content.length });
    expect(content.length).toBeGreaterThan(0);
  });

  it('when blkid ran, its entry matches its file (empty when blkid knows no filesystem yet)', () => {
    const collected = entry('blkid');
    expect(['ok', 'failed']).toContain(collected.status);
    if (collected.status === 'ok') expect(collected).toMatchObject({ files: ['files/blkid.txt'], bytes: report.files.get('report/files/blkid.txt')!.length });
  });

  it('when lsblk ran, its file is lsblk JSON', () => {
    expect(JSON.parse(report.files.get('report/files/lsblk.json')!.toString('utf8'))).toHaveProperty('blockdevices');
  });

  it.each([
    ['os-release', 'os-release', 'ID='],
    ['uptime', 'uptime.txt', '.'],
    ['meminfo', 'meminfo.txt', 'MemTotal:'],
    ['mounts', 'mounts.txt', ' / '],
  ])('when the %s collector ran, it copied the file (%s holds %j)', (name, file, needle) => {
    const content = report.files.get(`report/files/${file}`)!;
    expect(entry(name)).toMatchObject({ status: 'ok', files: [`files/${file}`], bytes: content.length });
    expect(content.toString('utf8')).toContain(needle);
  });

  it('when a live machine is collected, the offline-only sources are absent', () => {
    expect(entry('dpkg-status')).toMatchObject({ status: 'absent', error: 'collected in offline mode only' });
    expect(entry('rpm-packages')).toMatchObject({ status: 'absent' });
  });

  it('when a log source is missing here, it is absent, else ok with its file', () => {
    for (const name of ['syslog', 'messages', 'kern.log']) {
      const collected = entry(`logs-${name}`);
      expect(['ok', 'absent']).toContain(collected.status);
      if (collected.status === 'ok') expect(collected.bytes).toBe(report.files.get(`report/files/logs/${name}`)!.length);
    }
    expect(['ok', 'failed']).toContain(entry('dmesg').status);
  });
});

describe('a collector over its limits', () => {
  const options = async () => ({ source: 'instance' as const, since: new Date(0), now: new Date(), root: await FileRoot.open('/') });

  it('when a collector hangs, it is timed-out and its command is killed', async () => {
    // Given: a command that would run for a minute, marked so it can be found
    const marker = `bp-hang-${process.pid}-${Date.now()}`;
    const hanging: Collector = {
      name: 'hang',
      timeoutMs: 300,
      collect: (context) => runCapped('bash', ['-c', `exec -a ${marker} sleep 60`], { maxBytes: 1024, keep: 'head', signal: context.signal }).then(() => []),
    };
    // When
    const outcome = await runCollector(hanging, await options());
    // Then
    expect(outcome.entry).toMatchObject({ name: 'hang', status: 'timed-out', bytes: 0, files: [], error: 'no answer within 300 ms' });
    await expect(waitUntil(() => !running(marker))).resolves.toBe(true);
  });

  it('when a command prints more than its cap, it keeps the cap and stops the command', async () => {
    const outcome = await runCollector(commandCollector({ name: 'yes', sources: [{ file: 'yes.txt', command: ['yes'] }], maxBytes: MiB }), await options());
    expect(outcome.entry).toMatchObject({ status: 'ok', bytes: MiB, truncated: true, files: ['files/yes.txt'] });
  });

  describe('on a folder with a huge file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bp-huge-'));
      mkdirSync(path.join(dir, 'etc'));
      mkdirSync(path.join(dir, 'var/log'), { recursive: true });
      const line = (i: number) => `2026-12-01T10:00:00Z host app: line ${i} ${'x'.repeat(80)}\n`;
      const lines = Array.from({ length: 400_000 }, (_, i) => line(i)).join(''); // ~40 MiB
      writeFileSync(path.join(dir, 'etc/fstab'), lines);
      writeFileSync(path.join(dir, 'var/log/syslog'), lines);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('when a file is over its cap, it keeps the head of a file and the newest lines of a log', async () => {
      // Given
      const root = await FileRoot.open(dir);
      const at = { source: 'offline' as const, since: new Date('2026-12-01T00:00:00Z'), now: new Date('2026-12-01T12:00:00Z'), root };
      // When
      const fstab = await runCollector(fileCollector({ name: 'fstab', file: 'fstab', paths: ['etc/fstab'], where: 'both', maxBytes: 4 * MiB }), at);
      const syslog = await runCollector({ ...logFileCollector('syslog'), maxBytes: 4 * MiB }, at);
      // Then
      expect(fstab.entry).toMatchObject({ status: 'ok', bytes: 4 * MiB, truncated: true });
      expect(fstab.files[0].content.subarray(0, 40).toString()).toContain('line 0 ');
      expect(syslog.entry).toMatchObject({ status: 'ok', truncated: true });
      expect(syslog.entry.bytes).toBeLessThanOrEqual(4 * MiB);
      expect(syslog.files[0].content.toString().trimEnd().endsWith(`line 399999 ${'x'.repeat(80)}`)).toBe(true);
    });

    it('when a report would compress over its cap, the largest file is cut until it fits and marked truncated', async () => {
      // Given: limits a tenth of the contract's
      const root = await FileRoot.open(dir);
      const limits = { fileBytes: 16 * MiB, unpackedBytes: 64 * MiB, entries: 2_000, compressedBytes: 64 * 1024 };
      // When
      const built = await buildReport({ source: 'offline', root, since: new Date(0), collectors: [{ ...logFileCollector('syslog'), maxBytes: 8 * MiB }], limits });
      // Then
      expect(built.archive.length).toBeLessThanOrEqual(64 * 1024);
      const unpacked = unpackReport(built.archive);
      expect(unpacked.manifest.collectors[0]).toMatchObject({ name: 'logs-syslog', status: 'ok', truncated: true, bytes: unpacked.files.get('report/files/logs/syslog')!.length });
    });

    it('when a collector would take the report over its unpacked cap, it is failed with the reason and its file left out', async () => {
      // Given: a 5 MiB unpacked cap; fstab (4 MiB) fits, syslog (4 MiB more) does not
      const root = await FileRoot.open(dir);
      const limits = { fileBytes: 16 * MiB, unpackedBytes: 5 * MiB, entries: 2_000, compressedBytes: 16 * MiB };
      const collectors = [fileCollector({ name: 'fstab', file: 'fstab', paths: ['etc/fstab'], where: 'both', maxBytes: 4 * MiB }), { ...logFileCollector('syslog'), maxBytes: 4 * MiB }];
      // When
      const built = await buildReport({ source: 'offline', root, since: new Date(0), collectors, limits });
      // Then
      const unpacked = unpackReport(built.archive);
      expect(unpacked.manifest.collectors).toEqual([
        expect.objectContaining({ name: 'fstab', status: 'ok', bytes: 4 * MiB }),
        expect.objectContaining({ name: 'logs-syslog', status: 'failed', bytes: 0, files: [], error: `left out: over the report's ${5 * MiB}-byte cap` }),
      ]);
      expect(unpacked.files.has('report/files/logs/syslog')).toBe(false);
    });

    it("when the offline root is a folder and not a mount point, lsblk and blkid are absent rather than describing this machine's disk", async () => {
      const at = { source: 'offline' as const, since: new Date(0), now: new Date(), root: await FileRoot.open(dir) };
      for (const collector of [lsblkCollector, blkidCollector]) {
        expect((await runCollector(collector, at)).entry).toMatchObject({ status: 'absent', error: `the root ${await realpath(dir)} is not a mount point` });
      }
    });
  });
});

function running(marker: string): boolean {
  try {
    return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((line) => line.startsWith(marker));
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, attempts = 50, intervalMs = 100): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return condition();
}
