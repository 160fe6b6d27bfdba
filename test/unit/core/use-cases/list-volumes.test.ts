import { listVolumes } from '../../../../core/use-cases/list-volumes';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

describe('listVolumes', () => {
  test("when two tenants have volumes, it lists only the caller's", async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const mine = volumes.put(aVolume({ tenantId: TENANT }));
    volumes.put(aVolume({ tenantId: OTHER_TENANT }));
    // When
    const page = await listVolumes(volumes, TENANT, { limit: 50 });
    // Then
    expect(page.volumes.map((v) => v.volumeId)).toEqual([mine.volumeId]);
  });
});
