import { IdempotentParameterMismatchError } from '../../../../core/errors';
import { VOLUME_ID_PATTERN } from '../../../../core/ids';
import { createVolume, type CreateVolumeDeps } from '../../../../core/use-cases/create-volume';
import { CreateVolumeRequestSchema } from '../../../../core/volume-requests';
import { OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingVolumeWorkflows } from '../../fakes/recording-volume-workflows';

function setUp() {
  const volumes = new InMemoryVolumeRepository();
  const workflows = new RecordingVolumeWorkflows();
  const clock = new FakeClock('2025-03-01T12:00:00.000Z');
  const deps: CreateVolumeDeps = { volumes, workflows, now: clock.now };
  return { volumes, workflows, clock, deps };
}

const request = (input: Record<string, unknown>) =>
  CreateVolumeRequestSchema.parse({ sizeGiB: 100, type: 'ssd', location: 'zone-a', ...input });

describe('createVolume', () => {
  test('when a request arrives, it records a creating volume for the tenant and starts its workflow', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    // When
    const volume = await createVolume(deps, TENANT, request({ iops: 4000 }));
    // Then
    expect(volume).toMatchObject({
      tenantId: TENANT,
      sizeGiB: 100,
      type: 'ssd',
      iops: 4000,
      location: 'zone-a',
      status: 'creating',
      copies: [],
      generation: 1,
      version: 1,
      createdAt: '2025-03-01T12:00:00.000Z',
      updatedAt: '2025-03-01T12:00:00.000Z',
    });
    expect(volume.volumeId).toMatch(VOLUME_ID_PATTERN);
    expect(volume.attachments).toEqual([]);
    expect(volume.replicationKey).toBeUndefined();
    expect(await volumes.get(volume.volumeId)).toEqual(volume);
    expect(workflows.creates).toEqual([volume.volumeId]);
  });

  test('when the same client token is sent twice with the same parameters, it returns the same volume and makes sure its workflow runs', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    const first = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // When
    const retry = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // Then
    expect(retry).toEqual(first);
    expect(volumes.all()).toHaveLength(1);
    expect(workflows.creates).toEqual([first.volumeId, first.volumeId]);
  });

  test('when a retry spells out the default iops the first request left out, it is the same request', async () => {
    // Given
    const { deps } = setUp();
    const first = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // When
    const retry = await createVolume(deps, TENANT, request({ clientToken: 'tok-1', iops: 3000 }));
    // Then
    expect(retry.volumeId).toBe(first.volumeId);
  });

  test('when the same client token comes with other parameters, it throws IdempotentParameterMismatchError and starts nothing', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    const first = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // When
    const retry = createVolume(deps, TENANT, request({ clientToken: 'tok-1', sizeGiB: 200 }));
    // Then
    await expect(retry).rejects.toThrow(IdempotentParameterMismatchError);
    await expect(retry).rejects.toMatchObject({ details: { clientToken: 'tok-1', volumeId: first.volumeId } });
    expect(volumes.all()).toHaveLength(1);
    expect(workflows.creates).toEqual([first.volumeId]);
  });

  test('when a retry returns the first volume, it keeps the keys of the first volume', async () => {
    // Given
    const { deps } = setUp();
    const first = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // When
    const retry = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // Then
    expect(retry).toEqual(first);
  });

  test('when no client token is sent, it creates a new volume each time', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    // When
    const first = await createVolume(deps, TENANT, request({}));
    const second = await createVolume(deps, TENANT, request({}));
    // Then
    expect(second.volumeId).not.toBe(first.volumeId);
    expect(volumes.all()).toHaveLength(2);
    expect(workflows.creates).toEqual([first.volumeId, second.volumeId]);
  });

  test('when two tenants use the same client token, it gives each its own volume', async () => {
    // Given
    const { deps } = setUp();
    // When
    const mine = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    const theirs = await createVolume(deps, OTHER_TENANT, request({ clientToken: 'tok-1', sizeGiB: 5 }));
    // Then
    expect(theirs.volumeId).not.toBe(mine.volumeId);
    expect(theirs.tenantId).toBe(OTHER_TENANT);
  });

  test('when a retry arrives after the volume became available, it returns it without starting the workflow again', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    const first = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    await volumes.save({ ...first, status: 'available', version: first.version + 1 });
    // When
    const retry = await createVolume(deps, TENANT, request({ clientToken: 'tok-1' }));
    // Then
    expect(retry.status).toBe('available');
    expect(workflows.creates).toEqual([first.volumeId]);
  });

  test('pins issue 7: when the creation workflow cannot be started (no token), the volume is marked error with the reason, so it can be deleted', async () => {
    // Given
    const { volumes, workflows, deps } = setUp();
    workflows.failNextCreate = new Error('ServiceUnavailable: Step Functions is down');
    // When
    const act = createVolume(deps, TENANT, request({}));
    // Then
    await expect(act).rejects.toThrow('ServiceUnavailable');
    const [stored] = volumes.all();
    expect(stored).toMatchObject({ status: 'error', statusReason: 'the creation workflow could not be started: ServiceUnavailable: Step Functions is down' });
  });
});
