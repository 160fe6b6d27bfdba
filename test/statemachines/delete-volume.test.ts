import { ok, type VolumeView } from '../../client/blockplane-api';
import { hostApiAs } from '../e2e/support/local-cloud';
import { hostAllocation } from '../e2e/support/tables';
import { execution } from './support/executions';
import { freshLocation, hostsIn, stopHosts, tenant, volumeReaching, volumeRecord } from './support/scenario';

jest.setTimeout(150_000);
afterEach(() => stopHosts());

/** An available volume on two scripted hosts of a fresh location (hosts h1, h2). */
async function availableVolume() {
  const location = freshLocation();
  const hosts = await hostsIn(location, ['succeed', 'succeed']);
  const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location }));
  await volumeReaching(created.volumeId, ['available']);
  return { location, hosts, volumeId: created.volumeId };
}

/** DELETE, and the name of the attempt it started (`delete-<volume>-v<version of the deleting record>`). */
async function deleteAttempt(volumeId: string): Promise<string> {
  ok(await tenant.delete(volumeId));
  const record = await volumeRecord(volumeId);
  return `delete-${volumeId}-v${String(record.version)}`;
}

describe('delete-volume workflow', () => {
  test('when both hosts delete their copies, it releases the placement and marks the volume deleted', async () => {
    // Given
    const { location, volumeId } = await availableVolume();
    // When
    const name = await deleteAttempt(volumeId);
    const run = await execution('DeleteVolume', name);
    // Then
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toEqual(expect.arrayContaining(['Delete copies on hosts', 'Release placement', 'Mark volume deleted']));
    expect(run.statesEntered).not.toContain('Mark volume error');
    expect((await volumeReaching(volumeId, ['deleted'])).status).toBe('deleted');
    expect(await hostAllocation(`${location}-h1`)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
  });

  test('pins issue 7: when a host fails the delete, the volume is error with the reason, and a second DELETE is a new attempt that completes', async () => {
    // Given: the volume's hosts now fail every command
    const { location, hosts, volumeId } = await availableVolume();
    await stopHosts(hosts);
    const failing = await hostsIn(location, ['fail', 'fail']);
    // When
    const first = await deleteAttempt(volumeId);
    // Then
    const errored = await volumeReaching(volumeId, ['error']);
    expect(errored.statusReason).toContain('no space left');
    expect((await hostAllocation(`${location}-h1`)).reservations).toBe(1);

    // When: the hosts work again and the tenant deletes again
    await stopHosts(failing);
    await hostsIn(location, ['succeed', 'succeed']);
    const second = await deleteAttempt(volumeId);
    // Then: a new attempt (not blocked by the first execution's name) deletes the volume
    expect((await volumeReaching(volumeId, ['deleted'], 60_000)).status).toBe('deleted');
    expect(await hostAllocation(`${location}-h1`)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
    const failed = await execution('DeleteVolume', first);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'VolumeDeletionFailed' });
    expect(failed.statesEntered).toEqual(expect.arrayContaining(['Delete copies on hosts', 'Mark volume error', 'Volume deletion failed']));
    expect(second).not.toBe(first);
    expect((await execution('DeleteVolume', second)).status).toBe('SUCCEEDED');
  });

  test('when a host never answers, the task times out and the volume is error saying a host did not answer in time', async () => {
    // Given
    const { location, hosts, volumeId } = await availableVolume();
    await stopHosts(hosts);
    await hostsIn(location, ['ignore', 'succeed']);
    // When
    const run = await execution('DeleteVolume', await deleteAttempt(volumeId));
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeDeletionFailed' });
    expect((await volumeReaching(volumeId, ['error'])).statusReason).toContain('did not answer in time');
  });

  // Seen on the fleet (2026-12-03): a volume deleted right after one of its hosts died ended error
  // with its reservations kept, and so would every later DELETE while that host stayed down.
  test('when a host is down (unreachable), its copy is left to it: the volume is deleted, its reservations released, and the host gets the delete for when it returns', async () => {
    // Given: the volume's hosts; h1 goes down, h2 answers and heartbeats (scripted hosts do not:
    // the sweep judges a host lost only while it hears others)
    const { location, hosts, volumeId } = await availableVolume();
    await stopHosts(hosts);
    await hostsIn(location, ['succeed'], 2);
    const beating = setInterval(() => void hostApiAs('h2').heartbeat(`${location}-h2`, { health: 'ok' }).catch(() => undefined), 1_000);
    // When
    const run = await execution('DeleteVolume', await deleteAttempt(volumeId), undefined, 120_000).finally(() => clearInterval(beating));
    // Then
    const settled = await volumeReaching(volumeId, ['deleted', 'error']);
    expect({ run: run.status, status: settled.status, reason: settled.statusReason }).toEqual({ run: 'SUCCEEDED', status: 'deleted', reason: undefined });
    for (const n of [1, 2]) expect(await hostAllocation(`${location}-h${n}`)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
  }, 180_000);
});
