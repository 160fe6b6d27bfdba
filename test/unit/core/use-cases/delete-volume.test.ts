import { InvalidStateError, NotFoundError } from '../../../../core/errors';
import { deleteVolume, type DeleteVolumeDeps } from '../../../../core/use-cases/delete-volume';
import type { Volume } from '../../../../core/volume';
import { VolumeStatus } from '../../../../core/volume-status';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingVolumeWorkflows } from '../../fakes/recording-volume-workflows';

const COPIES = [
  { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' },
  { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' },
] as const;

function setUp(volume: Partial<Volume>) {
  const volumes = new InMemoryVolumeRepository();
  const workflows = new RecordingVolumeWorkflows();
  const clock = new FakeClock('2025-03-02T08:00:00.000Z');
  const deps: DeleteVolumeDeps = { volumes, workflows, now: clock.now };
  const stored = volumes.put(aVolume({ copies: [...COPIES], version: 4, ...volume }));
  return { volumes, workflows, deps, stored };
}

describe('deleteVolume', () => {
  test.each([VolumeStatus.available, VolumeStatus.degraded])(
    'when the volume is %s, it marks it deleting and starts the delete workflow with its copies',
    async (status) => {
      // Given
      const { volumes, workflows, deps, stored } = setUp({ status });
      // When
      const deleting = await deleteVolume(deps, TENANT, stored.volumeId);
      // Then
      expect(deleting).toMatchObject({ status: 'deleting', version: 5, updatedAt: '2025-03-02T08:00:00.000Z' });
      expect(await volumes.get(stored.volumeId)).toEqual(deleting);
      expect(workflows.deletes).toEqual([{ volumeId: stored.volumeId, version: stored.version + 1, copies: COPIES }]);
    },
  );

  test('when the volume is in error, it marks it deleting and clears the old reason', async () => {
    // Given
    const { deps, stored } = setUp({ status: VolumeStatus.error, statusReason: 'host-a ran out of space' });
    // When
    const deleting = await deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(deleting.status).toBe('deleting');
    expect(deleting.statusReason).toBeUndefined();
  });

  test('when the volume is already deleting, it starts the same attempt (keyed by the deleting version) without writing', async () => {
    // Given
    const { volumes, workflows, deps, stored } = setUp({ status: VolumeStatus.deleting });
    // When
    const result = await deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(result).toEqual(stored);
    expect(volumes.saves).toBe(0);
    expect(workflows.deletes).toEqual([{ volumeId: stored.volumeId, version: stored.version, copies: COPIES }]);
  });

  test('pins issue 7: when a deletion failed (volume error), a second DELETE starts a new attempt under a new key', async () => {
    // Given: the first attempt ran at the deleting version and failed; settle marked the volume error
    const { volumes, workflows, deps, stored } = setUp({ status: VolumeStatus.available });
    const first = await deleteVolume(deps, TENANT, stored.volumeId);
    volumes.put({ ...first, status: VolumeStatus.error, statusReason: 'host did not answer', version: first.version + 1 });
    // When
    const second = await deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(second.status).toBe('deleting');
    expect(workflows.deletes.map((d) => d.version)).toEqual([first.version, first.version + 2]);
  });

  test('when the volume is already deleted, it returns it and starts nothing', async () => {
    // Given
    const { volumes, workflows, deps, stored } = setUp({ status: VolumeStatus.deleted });
    // When
    const result = await deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(result).toEqual(stored);
    expect(volumes.saves).toBe(0);
    expect(workflows.deletes).toEqual([]);
  });

  test.each([VolumeStatus.creating, VolumeStatus.inUse])(
    'when the volume is %s, it throws InvalidStateError and leaves it alone',
    async (status) => {
      // Given
      const { volumes, workflows, deps, stored } = setUp({ status });
      // When
      const act = deleteVolume(deps, TENANT, stored.volumeId);
      // Then
      await expect(act).rejects.toThrow(InvalidStateError);
      expect(await volumes.get(stored.volumeId)).toEqual(stored);
      expect(workflows.deletes).toEqual([]);
    },
  );

  test("when the volume is another tenant's, it throws NotFoundError and leaves it alone", async () => {
    // Given
    const { volumes, workflows, deps, stored } = setUp({ status: VolumeStatus.available, tenantId: OTHER_TENANT });
    // When
    const act = deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
    expect(workflows.deletes).toEqual([]);
  });

  test('when another writer attaches the volume first, it reads again and refuses the delete, starting nothing', async () => {
    // Given
    const { volumes, workflows, deps, stored } = setUp({ status: VolumeStatus.available });
    volumes.interleaveBeforeNextSave(() => volumes.put({ ...stored, status: VolumeStatus.inUse, version: stored.version + 1 }));
    // When
    const act = deleteVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect((await volumes.get(stored.volumeId))?.status).toBe('in-use');
    expect(workflows.deletes).toEqual([]);
  });
});
