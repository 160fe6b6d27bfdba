import { dirtyChunkRanges, inheritChunks, MAX_READ_RANGES, ReadRangesSchema } from '../../../../core/snapshots/chunk-ranges';
import { buildManifest, type Manifest } from '../../../../core/snapshots/manifest';
import type { SnapshotObjects } from '../../../../core/snapshots/ports';
import { changeSnapshot, pendingSnapshot, type Snapshot } from '../../../../core/snapshots/snapshot';
import { snapshotCopyCommand } from '../../../../core/snapshots/snapshot-commands';
import { completeSnapshot } from '../../../../core/snapshots/use-cases/finish-snapshot';
import { GiB } from '../../../../core/snapshots/units';
import { aVolume, aVolumeId, TENANT } from '../../fakes/builders';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const MiB = 1024 * 1024;
const digest = (letter: string): string => letter.repeat(64);

describe('incremental snapshots: the chunks read and the ones inherited from the parent', () => {
  test('when dirty extents touch parts of chunks, every chunk they touch is read, in joined runs', () => {
    const ranges = dirtyChunkRanges(
      [
        { offset: 0, length: 64 * 1024, dirty: true },
        { offset: 64 * 1024, length: 3 * MiB, dirty: false },
        { offset: 3 * MiB + 64 * 1024, length: 64 * 1024, dirty: true },
        { offset: 4 * MiB - 64 * 1024, length: 128 * 1024, dirty: true },
        { offset: 9 * MiB, length: 2 * MiB, dirty: true },
      ],
      MiB,
      10,
    );
    // chunk 0; chunks 3 and 4 (one extent crosses into 4); chunk 9 (the map runs past the end)
    expect(ranges).toEqual([[0, 1], [3, 5], [9, 10]]);
  });

  test('when the map has more runs than a result may carry, the shortest gaps are joined (more is read, nothing is missed)', () => {
    const extents = Array.from({ length: 300 }, (_, i) => ({ offset: i * 3 * MiB + (i % 7 === 0 ? MiB : 0), length: 1024, dirty: true }));
    const ranges = dirtyChunkRanges(extents, MiB, 900);
    expect(ranges.length).toBe(MAX_READ_RANGES);
    expect(ReadRangesSchema.safeParse(ranges).success).toBe(true);
    for (const extent of extents) {
      const index = Math.floor(extent.offset / MiB);
      expect(ranges.some(([start, end]) => index >= start && index < end)).toBe(true);
    }
  });

  test('when ranges overlap, are out of order, or are too many, the schema refuses them', () => {
    expect(ReadRangesSchema.safeParse([[0, 2], [1, 3]]).success).toBe(false);
    expect(ReadRangesSchema.safeParse([[4, 5], [0, 1]]).success).toBe(false);
    expect(ReadRangesSchema.safeParse([[2, 2]]).success).toBe(false);
    expect(ReadRangesSchema.safeParse(Array.from({ length: MAX_READ_RANGES + 1 }, (_, i) => [2 * i, 2 * i + 1])).success).toBe(false);
  });

  test('when chunks outside the ranges are the parent\'s, the list holds the read ones and the parent\'s others; a chunk read as zeros drops out', () => {
    const parent = [0, 1, 2, 3].map((index) => ({ index, digest: digest('a'), lengthBytes: MiB }));
    const read = [{ index: 2, digest: digest('b'), lengthBytes: MiB }];
    expect(inheritChunks(read, [[1, 3]], parent).map((chunk) => [chunk.index, chunk.digest[0]])).toEqual([[0, 'a'], [2, 'b'], [3, 'a']]);
    expect(() => inheritChunks([{ index: 0, digest: digest('b'), lengthBytes: MiB }], [[1, 3]], parent)).toThrow(/outside the ranges/);
  });
});

describe('completeSnapshot after an incremental read', () => {
  const volumeId = aVolumeId();
  const parentManifest: Manifest = buildManifest({
    snapshotId: 'snap-00000000000000001',
    volumeId,
    lineageId: volumeId,
    sizeBytes: GiB,
    chunks: [0, 1, 5].map((index) => ({ index, digest: digest('a'), lengthBytes: MiB })),
  });

  async function complete(snapshotSizeGiB: number, uploaded: Parameters<typeof completeSnapshot>[2]) {
    const snapshot = { ...pendingSnapshot({ tenantId: TENANT, volumeId, lineageId: volumeId, sizeGiB: snapshotSizeGiB, now: NOW }), parentSnapshotId: parentManifest.snapshotId };
    const written: Manifest[] = [];
    const objects = {
      manifestParts: async () => [{ index: 1, digest: digest('b'), lengthBytes: MiB }],
      getManifest: async () => parentManifest,
      existing: async (_lineage: string, digests: readonly string[]) => new Set(digests),
      putManifest: async (manifest: Manifest) => void written.push(manifest),
      deleteManifestParts: async () => undefined,
    } as unknown as SnapshotObjects;
    const saved: Snapshot[] = [];
    const snapshots = { get: async () => snapshot, save: async (next: Snapshot) => void saved.push(next) } as never;
    await completeSnapshot({ snapshots, objects, now: () => NOW }, snapshot.snapshotId, uploaded);
    return { written, saved };
  }

  test('when the host read chunks 0 to 2, chunk 0 read as zeros, chunk 1 changed and chunk 5 is the parent\'s', async () => {
    const { written, saved } = await complete(1, { incrementalFrom: parentManifest.snapshotId, readRanges: [[0, 3]] });
    expect(written[0].chunks.map((chunk) => [chunk.index, chunk.digest[0]])).toEqual([[1, 'b'], [5, 'a']]);
    expect(saved[0]).toMatchObject({ status: 'completed', changedBytes: 2 * MiB });
  });

  test('when the host names another parent, or the parent is of another size, the snapshot is not completed', async () => {
    await expect(complete(1, { incrementalFrom: 'snap-0000000000000000f', readRanges: [[0, 3]] })).rejects.toThrow(/not its parent of the same size/);
    await expect(complete(2, { incrementalFrom: parentManifest.snapshotId, readRanges: [[0, 3]] })).rejects.toThrow(/not its parent of the same size/);
  });
});

describe('snapshotCopyCommand', () => {
  const volume = aVolume({ volumeId: aVolumeId(), copies: [{ copyId: 'c-1', hostId: 'host-a', role: 'primary' }] });
  const parent = changeSnapshot(pendingSnapshot({ tenantId: TENANT, volumeId: volume.volumeId, lineageId: volume.volumeId, sizeGiB: 10, now: NOW }), { type: 'uploaded' }, NOW);
  const child = (sizeGiB: number) => ({ ...pendingSnapshot({ tenantId: TENANT, volumeId: volume.volumeId, lineageId: volume.volumeId, sizeGiB, now: NOW }), parentSnapshotId: parent.snapshotId });

  test('when the parent is completed and of the same size, the host is told it may read only what changed since it', () => {
    expect(snapshotCopyCommand(volume, child(10), parent).payload).toMatchObject({ parentSnapshotId: parent.snapshotId });
  });

  test('when the volume grew since the parent, or the parent is not completed, the host reads every chunk', () => {
    expect(snapshotCopyCommand(volume, child(20), parent).payload).not.toHaveProperty('parentSnapshotId');
    expect(snapshotCopyCommand(volume, child(10), { ...parent, status: 'error' as never }).payload).not.toHaveProperty('parentSnapshotId');
    expect(snapshotCopyCommand(volume, child(10)).payload).not.toHaveProperty('parentSnapshotId');
  });
});
