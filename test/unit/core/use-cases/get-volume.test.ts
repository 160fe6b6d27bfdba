import { NotFoundError } from '../../../../core/errors';
import { getVolume } from '../../../../core/use-cases/get-volume';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

describe('getVolume', () => {
  test("when the volume is the caller's, it returns it", async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ tenantId: TENANT }));
    // When
    const found = await getVolume(volumes, TENANT, volume.volumeId);
    // Then
    expect(found).toEqual(volume);
  });

  test("when the volume is another tenant's, it throws NotFoundError exactly as for a missing volume", async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const theirs = volumes.put(aVolume({ tenantId: OTHER_TENANT }));
    const missingId = 'vol-0000000000000ffff';
    // When
    const foreign = getVolume(volumes, TENANT, theirs.volumeId);
    const missing = getVolume(volumes, TENANT, missingId);
    // Then
    await expect(foreign).rejects.toThrow(NotFoundError);
    await expect(foreign).rejects.toThrow(`volume ${theirs.volumeId} does not exist`);
    await expect(foreign).rejects.toMatchObject({ details: { volumeId: theirs.volumeId } });
    await expect(missing).rejects.toThrow(`volume ${missingId} does not exist`);
  });
});
