import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ReportRejectedError, unpackReport } from '../../../core/diagnostics/unpack-report';
import { buildReportTarball } from './report-tarball';

function rejection(upload: Buffer, limits?: Parameters<typeof unpackReport>[1]): string {
  try {
    unpackReport(upload, limits);
  } catch (error) {
    if (error instanceof ReportRejectedError) return error.reason;
    throw error;
  }
  throw new Error('the upload was accepted');
}

describe('unpackReport', () => {
  it('reads the manifest and the files of a report built with tar, logs in subfolders included', () => {
    const report = unpackReport(buildReportTarball({ 'dmesg.txt': 'hello\n', 'logs/syslog': 'a\nb\n' }));
    expect(report.manifest).toMatchObject({ formatVersion: 1, source: 'instance', hostname: 'web-1' });
    expect(Object.fromEntries(report.files)).toEqual({ 'dmesg.txt': 'hello\n', 'logs/syslog': 'a\nb\n' });
  });

  it('reads a name longer than 100 bytes (GNU long-name record)', () => {
    const long = `logs/${'x'.repeat(150)}`;
    expect(unpackReport(buildReportTarball({ [long]: 'ok\n' })).files.get(long)).toBe('ok\n');
  });

  it('refuses an upload that is not gzip', () => {
    expect(rejection(Buffer.from('PK\x03\x04 a zip file'))).toMatch(/not gzip-compressed/);
  });

  it('refuses gzip that is not a tar', () => {
    expect(rejection(gzipSync(Buffer.alloc(2048, 'x')))).toMatch(/bad checksum|not a tar/);
  });

  it('refuses a gzip bomb: output past the bound stops decompression', () => {
    const bomb = buildReportTarball({}, { prepare: (dir) => fs.writeFileSync(path.join(dir, 'report/files/zeros'), Buffer.alloc(80 * 1024 * 1024)) });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    expect(rejection(bomb)).toMatch(/gzip bomb/);
  });

  it('refuses a path that climbs out of the report', () => {
    const upload = buildReportTarball({ 'dmesg.txt': 'x' }, {
      prepare: (dir) => fs.writeFileSync(path.join(dir, 'evil.txt'), 'pwned'),
      members: ['report', 'report/../evil.txt'],
    });
    expect(rejection(upload)).toMatch(/path traversal/);
  });

  it('refuses an absolute path', () => {
    const withAbsolute = buildReportTarball({}, { members: ['report', '/etc/hostname'] });
    expect(rejection(withAbsolute)).toMatch(/absolute path/);
  });

  it('refuses a symbolic link, even one that points inside', () => {
    const upload = buildReportTarball({ 'dmesg.txt': 'x' }, { prepare: (dir) => fs.symlinkSync('/etc/shadow', path.join(dir, 'report/files/journal.txt')) });
    expect(rejection(upload)).toMatch(/symbolic link/);
  });

  it('refuses a hard link', () => {
    const upload = buildReportTarball({ 'dmesg.txt': 'x' }, { prepare: (dir) => fs.linkSync(path.join(dir, 'report/files/dmesg.txt'), path.join(dir, 'report/files/copy.txt')) });
    expect(rejection(upload)).toMatch(/hard link/);
  });

  it('refuses entries outside the top folder report/', () => {
    const upload = buildReportTarball({ 'dmesg.txt': 'x' }, { prepare: (dir) => fs.writeFileSync(path.join(dir, 'other.txt'), 'x'), members: ['report', 'other.txt'] });
    expect(rejection(upload)).toMatch(/outside the top folder/);
  });

  it('refuses a file over the per-file cap, more entries than the cap, and an upload over the compressed cap', () => {
    const limits = { maxFileBytes: 1000, maxUnpackedBytes: 1_000_000, maxEntries: 10, maxUploadBytes: 1_000_000 };
    expect(rejection(buildReportTarball({ 'dmesg.txt': 'x'.repeat(1001) }), limits)).toMatch(/limit is 1000/);
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, 'x']));
    expect(rejection(buildReportTarball(many), limits)).toMatch(/more than 10 entries/);
    expect(rejection(buildReportTarball({ 'dmesg.txt': 'x' }), { ...limits, maxUploadBytes: 10 })).toMatch(/compressed/);
  });

  it('refuses a truncated archive and a report without a valid manifest', () => {
    const good = buildReportTarball({ 'dmesg.txt': 'x'.repeat(5000) });
    const truncated = gzipSync(require('node:zlib').gunzipSync(good).subarray(0, 3000));
    expect(rejection(truncated)).toMatch(/truncated/);
    expect(rejection(buildReportTarball({}, { manifest: { formatVersion: 2 } }))).toMatch(/not a format-1 manifest/);
  });
});
