import { ForbiddenError, InvalidStateError, NotFoundError } from '../../../../core/errors';
import { recordCopyEndpoints } from '../../../../core/use-cases/record-copy-endpoints';
import type { VolumeCopy } from '../../../../core/volume';
import { aVolume } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const AT = new Date('2025-03-01T05:00:00.000Z');
const NBD_A = { address: '10.0.0.1', port: 10809, exportName: 'vol-a' };
const NBD_B = { address: '10.0.0.2', port: 10810, exportName: 'vol-b' };
const PRIMARY: VolumeCopy = { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary' };
const MIRROR: VolumeCopy = { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror' };

describe('recordCopyEndpoints', () => {
  test('when both new copies are built, it stores their exports and returns the start-replication command', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'creating', copies: [PRIMARY, MIRROR] }));
    // When
    const command = await recordCopyEndpoints(
      volumes,
      volume.volumeId,
      [
        { hostId: 'host-a', copyId: PRIMARY.copyId, nbd: NBD_A },
        { hostId: 'host-b', copyId: MIRROR.copyId, nbd: NBD_B },
      ],
      'none',
      AT,
    );
    // Then
    expect(await volumes.get(volume.volumeId)).toMatchObject({
      copies: [
        { ...PRIMARY, nbd: NBD_A },
        { ...MIRROR, nbd: NBD_B },
      ],
      version: volume.version + 1,
      updatedAt: AT.toISOString(),
    });
    expect(command).toMatchObject({ hostId: 'host-a', type: 'start-replication', payload: { sync: 'none', mirror: { hostId: 'host-b', ...NBD_B } } });
  });

  test('when only a promoted primary is built, it stores its export and returns no replication command yet', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', copies: [PRIMARY] }));
    // When
    const command = await recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-a', copyId: PRIMARY.copyId, nbd: NBD_A }], 'full', AT);
    // Then
    expect(command).toBeNull();
    expect((await volumes.get(volume.volumeId))?.copies).toEqual([{ ...PRIMARY, nbd: NBD_A }]);
  });

  test('when a rebuilt mirror joins a serving primary, it asks for a full synchronisation', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', copies: [{ ...PRIMARY, nbd: NBD_A }, MIRROR] }));
    // When
    const command = await recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-b', copyId: MIRROR.copyId, nbd: NBD_B }], 'full', AT);
    // Then
    expect(command?.payload.sync).toBe('full');
  });

  test('when a built copy is no longer part of the volume, it ignores it', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', copies: [PRIMARY] }));
    // When
    await recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-b', copyId: 'cpy-0000000000ff', nbd: NBD_B }], 'full', AT);
    // Then
    expect((await volumes.get(volume.volumeId))?.copies).toEqual([PRIMARY]);
  });

  test("when a host answers for another host's copy, it throws ForbiddenError and stores nothing", async () => {
    // Given: pins issue 7 "a host can overwrite another host's copy endpoint"
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'in-use', copies: [{ ...PRIMARY, nbd: NBD_A }, { ...MIRROR, nbd: NBD_B }] }));
    // When
    const act = recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-b', copyId: PRIMARY.copyId, nbd: NBD_B }], 'full', AT);
    // Then
    await expect(act).rejects.toThrow(ForbiddenError);
    expect(await volumes.get(volume.volumeId)).toEqual(volume);
  });

  test('when the volume does not exist, it throws NotFoundError', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    // When
    const act = recordCopyEndpoints(volumes, 'vol-0000000000000dead', [], 'none', AT);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });

  test('pins issue 7: when replication is required but the mirror is not built, it throws InvalidStateError instead of returning a null command', async () => {
    // Given: only the primary answered (the workflow's next state would read $.replication.command.hostId)
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'creating', copies: [PRIMARY, MIRROR] }));
    // When
    const act = recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-a', copyId: PRIMARY.copyId, nbd: NBD_A }], 'none', AT, true);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    await expect(act).rejects.toThrow(/mirror cpy-00000000000b not built/);
  });

  test('pins issue 7: when an attach changes the volume during a rebuild, the endpoints are recorded over the new version', async () => {
    // Given: an attachment lands between the read and the write
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', copies: [{ ...PRIMARY, nbd: NBD_A }, MIRROR] }));
    volumes.interleaveBeforeNextSave(() => volumes.put({ ...volume, attachments: [{ attachmentId: 'att-000000000001', createdAt: AT.toISOString(), clientKey: { identity: 'client-1', ciphertext: 'c2VhbGVk' } }], version: volume.version + 1 }));
    // When
    const command = await recordCopyEndpoints(volumes, volume.volumeId, [{ hostId: 'host-b', copyId: MIRROR.copyId, nbd: NBD_B }], 'full', AT, true);
    // Then
    expect(command?.type).toBe('start-replication');
    const saved = await volumes.get(volume.volumeId);
    expect(saved?.attachments).toHaveLength(1);
    expect(saved?.copies.find((c) => c.copyId === MIRROR.copyId)?.nbd).toEqual(NBD_B);
    expect(saved?.version).toBe(volume.version + 2);
  });
});
