import { CHUNK_SIZE_BYTES, checksumHeaderOf, chunkCount, chunkKey } from '../../../../core/snapshots/chunk';
import { releasableChunks } from '../../../../core/snapshots/chunk-references';
import { buildManifest, storedBytesOf, validateManifest } from '../../../../core/snapshots/manifest';
import { planUpload } from '../../../../core/snapshots/upload-plan';

const d = (n: number): string => n.toString(16).padStart(64, '0');
const MiB = 1024 * 1024;
const base = { snapshotId: 'snap-00000000000000001', volumeId: 'vol-0000000000000000a', lineageId: 'vol-0000000000000000a', sizeBytes: 4 * MiB };
const chunk = (index: number, digest: number) => ({ index, digest: d(digest), lengthBytes: CHUNK_SIZE_BYTES });

describe('chunk keys', () => {
  it('when a digest is valid, the key is chunks/<lineage>/<2 hex>/<digest>', () => {
    expect(chunkKey('vol-0000000000000000a', d(0xab))).toBe(`chunks/vol-0000000000000000a/00/${d(0xab)}`);
  });

  it.each([['upper case', 'A'.repeat(64)], ['too short', 'ab'], ['a path', '../x'.padEnd(64, 'a')]])('when the digest is %s, it is refused', (_label, digest) => {
    expect(() => chunkKey('vol-0000000000000000a', digest)).toThrow(/64 lower-case hex/);
  });

  it('when the lineage is not a volume id, it is refused', () => {
    expect(() => chunkKey('../other', d(1))).toThrow(/not a volume id/);
  });

  it('the checksum header is the base64 of the digest bytes', () => {
    expect(Buffer.from(checksumHeaderOf(d(1)), 'base64').toString('hex')).toBe(d(1));
  });

  it('a 1 GiB volume has 1024 chunks of 1 MiB', () => {
    expect(chunkCount(1024 * MiB)).toBe(1024);
  });
});

describe('manifests', () => {
  it('when built from unordered chunks, they are ordered by index and the stored bytes add up', () => {
    const manifest = buildManifest({ ...base, chunks: [chunk(3, 1), chunk(0, 2)] });
    expect(manifest.chunks.map((c) => c.index)).toEqual([0, 3]);
    expect(storedBytesOf(manifest)).toBe(2 * MiB);
    expect(manifest.format).toBe('blockplane-snapshot/1');
  });

  it('when a chunk is past the end, repeated, or of the wrong length, the manifest is refused saying which', () => {
    expect(() => buildManifest({ ...base, chunks: [chunk(4, 1)] })).toThrow(/chunk 4 is past the end: a 4194304-byte volume has 4 chunks/);
    expect(() => buildManifest({ ...base, chunks: [chunk(1, 1), chunk(1, 2)] })).toThrow(/chunk 1 is out of order or repeated/);
    expect(() => buildManifest({ ...base, chunks: [{ index: 0, digest: d(1), lengthBytes: 5 }] })).toThrow(/chunk 0 has 5 bytes; expected 1048576/);
  });

  it('when a stored manifest has an unknown field or format, validation refuses it', () => {
    expect(() => validateManifest({ ...buildManifest({ ...base, chunks: [] }), extra: 1 })).toThrow(/manifest is not valid/);
    expect(() => validateManifest({ ...buildManifest({ ...base, chunks: [] }), format: 'v0' })).toThrow(/manifest is not valid: format/);
  });
});

describe('upload plans', () => {
  it('when only one chunk changed since the parent, only its digest is uploaded and changed bytes are one chunk', () => {
    const parent = [chunk(0, 1), chunk(1, 2), chunk(2, 3)];
    const plan = planUpload([chunk(0, 1), chunk(1, 9), chunk(2, 3)], parent, new Set(parent.map((c) => c.digest)));
    expect(plan).toEqual({ toUpload: [d(9)], changedBytes: MiB });
  });

  it('when a chunk repeats within a snapshot, it is uploaded once', () => {
    expect(planUpload([chunk(0, 5), chunk(1, 5)], [], new Set()).toUpload).toEqual([d(5)]);
  });

  it('when a chunk the parent had became zero, it counts as changed and nothing is uploaded', () => {
    expect(planUpload([], [chunk(0, 1)], new Set([d(1)]))).toEqual({ toUpload: [], changedBytes: MiB });
  });

  it('when the agent already uploaded some chunks before a crash, those are not planned again', () => {
    expect(planUpload([chunk(0, 1), chunk(1, 2)], [], new Set([d(1)])).toUpload).toEqual([d(2)]);
  });
});

describe('chunk references', () => {
  it('when a middle snapshot is deleted, only the chunks neither neighbour names are released', () => {
    const first = { chunks: [chunk(0, 1), chunk(1, 2)] };
    const middle = { chunks: [chunk(0, 1), chunk(1, 3), chunk(2, 4)] };
    const last = { chunks: [chunk(0, 1), chunk(1, 3)] };
    expect(releasableChunks(middle, [first, last])).toEqual([d(4)]);
  });
});
