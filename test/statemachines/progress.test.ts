import { ok, type VolumeView } from '../../client/blockplane-api';
import { execution } from './support/executions';
import { freshLocation, hostsIn, stopHosts, tenant, volumeReaching } from './support/scenario';

jest.setTimeout(180_000);
afterEach(() => stopHosts());

/**
 * Progress, not a clock (issue 7). The local cloud deploys with hostCommandTimeoutSeconds=15:
 * before, every host task failed after 15 s whatever the host did. The primary's
 * `start-replication` (the mirror's full build, which grows with the volume) here takes 25 s.
 */
const LONGER_THAN_THE_OLD_TIMEOUT_MS = 25_000;

describe('host tasks that report progress', () => {
  test('pins issue 7: when the mirror build takes longer than the old fixed timeout but the primary reports progress, the volume becomes available', async () => {
    // Given
    const location = freshLocation();
    const slow = { type: 'start-replication', answerAfterMs: LONGER_THAN_THE_OLD_TIMEOUT_MS, progressEveryMs: 3_000 };
    const hosts = await hostsIn(location, ['succeed', 'succeed'], 1, { slow });
    // When
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location }));
    const run = await execution('CreateVolume', `create-${created.volumeId}`, undefined, 120_000);
    // Then
    expect(run.status).toBe('SUCCEEDED');
    expect((await volumeReaching(created.volumeId, ['available'])).status).toBe('available');
    expect(hosts.some((host) => host.received.some((c) => c.type === 'start-replication'))).toBe(true);
  });

  test('when the same build reports no progress, the task fails once progress has stopped for the timeout, and the volume says why', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['succeed', 'succeed'], 1, { slow: { type: 'start-replication', answerAfterMs: 60_000 } });
    // When
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location }));
    const run = await execution('CreateVolume', `create-${created.volumeId}`, undefined, 120_000);
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeCreationFailed' });
    const failed = await volumeReaching(created.volumeId, ['error']);
    expect(failed.statusReason).toContain('did not answer in time');
    expect(failed.statusReason).toMatch(/HostTaskStalled|States\.(Heartbeat)?Timeout/);
  });
});
