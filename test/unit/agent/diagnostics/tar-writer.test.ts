import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TarPathError, writeTarGz } from '../../../../agent/diagnostics/tar-writer';

describe('writeTarGz', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'bp-tar-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when given directories and files, GNU tar lists exactly them as directories and regular files with their content', () => {
    // Given
    const long = `report/files/${'d'.repeat(60)}/${'f'.repeat(60)}.txt`;
    const archive = writeTarGz(
      [
        { type: 'directory', path: 'report' },
        { type: 'file', path: 'report/a.txt', content: Buffer.from('hello\n') },
        { type: 'file', path: long, content: Buffer.alloc(1000, 'x') },
      ],
      new Date('2026-12-01T00:00:00Z'),
    );
    const file = path.join(dir, 'r.tar.gz');
    writeFileSync(file, archive);
    // When
    const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' }).trim().split('\n');
    execFileSync('tar', ['-xzf', file, '-C', dir]);
    // Then
    expect(listing.map((line) => line[0])).toEqual(['d', '-', '-']);
    expect(listing.map((line) => line.split(/\s+/).pop())).toEqual(['report/', 'report/a.txt', long]);
    expect(execFileSync('cat', [path.join(dir, 'report/a.txt')], { encoding: 'utf8' })).toBe('hello\n');
    expect(execFileSync('wc', ['-c', path.join(dir, long)], { encoding: 'utf8' }).trim().split(' ')[0]).toBe('1000');
  });

  it.each(['/etc/passwd', 'report/../x', './report'])('when a path is %s, it refuses to write it', (bad) => {
    expect(() => writeTarGz([{ type: 'file', path: bad, content: Buffer.alloc(1) }], new Date())).toThrow(TarPathError);
  });
});
