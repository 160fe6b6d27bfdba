import type { ChunkUrl, SnapshotObjects } from '../../../../core/snapshots/ports';
import { pendingSnapshot } from '../../../../core/snapshots/snapshot';
import { ChunkUrlsRequestSchema } from '../../../../core/snapshots/snapshot-requests';
import { handOutChunkUrls } from '../../../../core/snapshots/use-cases/hand-out-chunk-urls';
import { aVolume, aVolumeId, TENANT } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const [IN_PARENT, STORED, FRESH] = ['a', 'b', 'c'].map((letter) => letter.repeat(64));

describe('handOutChunkUrls for an upload', () => {
  test('when a digest is in the parent or already stored in the lineage (an earlier attempt sent it), it is held; only the others get a PUT URL', async () => {
    // Given a pending snapshot whose parent names IN_PARENT, and a bucket that also stores STORED
    const volumes = new InMemoryVolumeRepository();
    const volume = aVolume({ volumeId: aVolumeId(), copies: [{ copyId: 'c-1', hostId: 'host-a', role: 'primary' }] });
    await volumes.create(volume, 'fp');
    const snapshot = { ...pendingSnapshot({ tenantId: TENANT, volumeId: volume.volumeId, lineageId: volume.volumeId, sizeGiB: 10, now: NOW }), parentSnapshotId: 'snap-00000000000000001' };
    const asked: string[][] = [];
    const objects = {
      putManifestPart: async () => undefined,
      getManifest: async () => ({ chunks: [{ index: 0, digest: IN_PARENT, lengthBytes: 1 }] }),
      existing: async (_lineage: string, digests: readonly string[]) => {
        asked.push([...digests]);
        return new Set(digests.filter((digest) => digest === STORED));
      },
      presignPut: async (_lineage: string, digest: string): Promise<ChunkUrl> => ({ digest, url: `https://s3.example/${digest}`, headers: {}, expiresAt: NOW.toISOString() }),
    } as unknown as SnapshotObjects;
    const deps = { snapshots: { get: async () => snapshot, save: async () => undefined } as never, volumes, objects, now: () => NOW };
    const chunks = [IN_PARENT, STORED, FRESH].map((digest, index) => ({ index, digest, lengthBytes: 1 }));

    // When
    const answer = await handOutChunkUrls(deps, 'host-a', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'PUT', chunks }));

    // Then
    expect(answer.held).toEqual([IN_PARENT, STORED]);
    expect(answer.urls.map((url) => url.digest)).toEqual([FRESH]);
    expect(asked).toEqual([[STORED, FRESH]]);
  });
});
