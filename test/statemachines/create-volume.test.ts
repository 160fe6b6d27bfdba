import { ok, type VolumeView } from '../../client/blockplane-api';
import { hostAllocation } from '../e2e/support/tables';
import { execution } from './support/executions';
import { freshLocation, hostsIn, stopHosts, tenant, volumeReaching, volumeRecord } from './support/scenario';

jest.setTimeout(150_000);
afterEach(() => stopHosts());

async function create(location: string): Promise<string> {
  return ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location })).volumeId;
}

describe('create-volume workflow', () => {
  test('when both hosts build their copies and the primary replicates, the volume is available with both copies in sync', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['succeed', 'succeed']);
    // When
    const volumeId = await create(location);
    const run = await execution('CreateVolume', `create-${volumeId}`);
    // Then
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toEqual(
      expect.arrayContaining(['Place copies', 'Create copies on hosts', 'Record copy endpoints', 'Wait for primary to start replication', 'Mark volume available']),
    );
    await volumeReaching(volumeId, ['available']);
    const record = await volumeRecord(volumeId);
    expect((record.copies as { inSync?: boolean; inSyncGeneration?: number }[]).map((c) => [c.inSync, c.inSyncGeneration])).toEqual([[true, 1], [true, 1]]);
  });

  test('when no two hosts can hold the volume, placement fails and the volume is error with the reason, nothing reserved', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['succeed']);
    // When
    const volumeId = await create(location);
    const run = await execution('CreateVolume', `create-${volumeId}`);
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeCreationFailed' });
    expect(run.statesEntered).toEqual(expect.arrayContaining(['Place copies', 'Release placement after failure', 'Mark volume error', 'Volume creation failed']));
    expect((await volumeReaching(volumeId, ['error'])).statusReason).toContain('need 2 distinct active hosts');
    expect(await hostAllocation(`${location}-h1`)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
  });

  test('when a host fails to build its copy, the reservations are released and the volume is error with the host\'s reason', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['fail', 'fail']);
    // When
    const volumeId = await create(location);
    const run = await execution('CreateVolume', `create-${volumeId}`);
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeCreationFailed' });
    expect(run.statesEntered).toEqual(expect.arrayContaining(['Create copies on hosts', 'Release placement after failure', 'Mark volume error']));
    expect((await volumeReaching(volumeId, ['error'])).statusReason).toContain('no space left');
    for (const host of ['h1', 'h2']) expect(await hostAllocation(`${location}-${host}`)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
  });

  test('when a host never answers, the task times out, the reservations are released and the volume is error', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['ignore', 'ignore']);
    // When
    const volumeId = await create(location);
    const run = await execution('CreateVolume', `create-${volumeId}`);
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeCreationFailed' });
    expect((await volumeReaching(volumeId, ['error'])).statusReason).toContain('did not answer in time');
    for (const host of ['h1', 'h2']) expect((await hostAllocation(`${location}-${host}`)).reservations).toBe(0);
  });
});
