import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SourceAbsentError } from '../../../../agent/diagnostics/collector';
import { FileRoot, FileRootError } from '../../../../agent/diagnostics/file-root';

describe('FileRoot', () => {
  let outside: string;
  let dir: string;
  let root: FileRoot;

  beforeEach(async () => {
    // Given: a secret next to the root, and a root whose links all try to reach it
    outside = mkdtempSync(path.join(os.tmpdir(), 'bp-root-'));
    writeFileSync(path.join(outside, 'secret'), 'outside the root');
    dir = path.join(outside, 'root');
    mkdirSync(path.join(dir, 'etc'), { recursive: true });
    mkdirSync(path.join(dir, 'usr/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/lib/os-release'), 'ID=test\n');
    writeFileSync(path.join(dir, 'secret'), 'inside the root');
    symlinkSync('../usr/lib/os-release', path.join(dir, 'etc/os-release'));
    symlinkSync(path.join(outside, 'secret'), path.join(dir, 'etc/absolute'));
    symlinkSync('../../secret', path.join(dir, 'etc/climb'));
    symlinkSync('../../..', path.join(dir, 'etc/up'));
    symlinkSync('loop-b', path.join(dir, 'etc/loop-a'));
    symlinkSync('loop-a', path.join(dir, 'etc/loop-b'));
    root = await FileRoot.open(dir);
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  const read = async (relative: string) => (await root.readHead(await root.regularFile(relative), 1024)).content.toString('utf8');

  it('when a relative link stays inside, it is followed', async () => {
    expect(await read('etc/os-release')).toBe('ID=test\n');
  });

  it("when an absolute link names a host path, it is read under the root (absent there), never the host's file", async () => {
    await expect(root.regularFile('etc/absolute')).rejects.toBeInstanceOf(SourceAbsentError);
  });

  it("when a link climbs with .., it stops at the root and reads the root's own file", async () => {
    expect(await read('etc/climb')).toBe('inside the root');
    expect(await read('etc/up/secret')).toBe('inside the root');
  });

  it('when links loop, it gives up with a clear error', async () => {
    await expect(root.regularFile('etc/loop-a')).rejects.toBeInstanceOf(FileRootError);
  });

  it('when the path names a directory, it is not a regular file', async () => {
    await expect(root.regularFile('etc')).rejects.toThrow('not a regular file');
  });
});
