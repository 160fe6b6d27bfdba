import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkBytesFor, digestOf } from '../../../../agent/recovery/copy-digest';
import { differingChunks, sameData } from '../../../../core/recovery/recovery-report';

const MiB = 1024 * 1024;

describe('copy digest', () => {
  test('when a copy is small, chunks are 1 MiB; when large, at most 64 chunks of whole MiB', () => {
    expect(chunkBytesFor(3 * MiB)).toBe(MiB);
    expect(chunkBytesFor(64 * MiB)).toBe(MiB);
    expect(chunkBytesFor(1024 * MiB)).toBe(16 * MiB);
    expect(chunkBytesFor(1000 * MiB)).toBe(16 * MiB);
  });

  test('when two files differ in one byte, their digests differ in exactly that chunk; identical files compare equal', async () => {
    // Given
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'digest-'));
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const data = Buffer.alloc(3 * MiB + 512, 7);
    await fs.writeFile(a, data);
    data[2 * MiB + 10] = 8;
    await fs.writeFile(b, data);
    try {
      // When
      const [da, db, da2] = await Promise.all([digestOf(a, data.length), digestOf(b, data.length), digestOf(a, data.length)]);
      // Then
      expect(da.chunks).toHaveLength(4);
      expect(differingChunks(da, db)).toEqual([2]);
      expect(sameData({ sizeBytes: data.length, digest: da }, { sizeBytes: data.length, digest: da2 })).toBe(true);
      expect(sameData({ sizeBytes: data.length, digest: da }, { sizeBytes: data.length, digest: db })).toBe(false);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
