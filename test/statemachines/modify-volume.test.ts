import { ok, type VolumeView } from '../../client/blockplane-api';
import { eventually } from '../e2e/support/local-cloud';
import { execution } from './support/executions';
import {
  availableVolumeIn,
  commandsFor,
  modificationHosts,
  modificationReaching,
  modify,
  type ModificationView,
} from './support/modifications';
import { freshLocation, stopHosts, tenant, volumeRecord } from './support/scenario';

jest.setTimeout(150_000);
afterEach(() => stopHosts());

const marker = () => `cmd-${Date.now().toString(36).padStart(10, '0')}`;

describe('modify-volume workflow', () => {
  test('an IOPS change runs in place: set-iops on the primary, the volume takes the new IOPS and is available again', async () => {
    // Given
    const location = freshLocation();
    const hosts = await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const since = marker();
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { iops: 5000 }));
    // Then
    expect(requested).toMatchObject({ status: 'modifying', plan: { kind: 'in-place', setIops: true, grow: false } });
    const done = await modificationReaching(volume.volumeId, requested.modificationId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', progressPercent: 100, original: { iops: 3000 }, target: { iops: 5000 } });
    expect(commandsFor(hosts, volume.volumeId, since)).toEqual(['set-iops']);
    const run = await execution('ModifyVolume', `modify-${requested.modificationId}`);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toEqual(['Begin', 'Advance modification', 'What next', 'Wait for host command', 'Record answer', 'Advance modification', 'What next', 'Modification ended']);
    expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'available', iops: 5000 });
  });

  test('a grow runs the replicated resize in place: quiesce the primary, resize the mirror, resize the primary', async () => {
    // Given
    const location = freshLocation();
    const hosts = await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const since = marker();
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { sizeGiB: 20 }));
    // Then
    const done = await modificationReaching(volume.volumeId, requested.modificationId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(commandsFor(hosts, volume.volumeId, since)).toEqual(['quiesce-replication', 'resize-copy', 'resize-copy']);
    const primary = volume.copies.find((copy) => copy.role === 'primary');
    const mirror = volume.copies.find((copy) => copy.role === 'mirror');
    const resizes = hosts.flatMap((host) => host.received.filter((command) => command.type === 'resize-copy').map(() => host.options.hostId));
    expect(resizes).toEqual(expect.arrayContaining([primary?.hostId, mirror?.hostId]));
    expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'available', sizeGiB: 20 });
  });

  test('a type change migrates both copies through every step of the chain and cutover, at generation 2 on hdd (only the primary move raises it)', async () => {
    // Given
    const location = freshLocation();
    const hosts = await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const since = marker();
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { type: 'hdd' }));
    // Then
    expect(requested.plan).toMatchObject({ kind: 'migrate' });
    expect(requested.plan?.moves.map((move) => move.role)).toEqual(['primary', 'mirror']);
    const done = await modificationReaching(volume.volumeId, requested.modificationId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', target: { type: 'hdd', iops: 100 } });
    const fill = ['create-copy', 'extend-chain', 'quiesce-replication', 'end-chain'];
    expect(commandsFor(hosts, volume.volumeId, since)).toEqual([...fill, 'promote-copy', 'start-replication', ...fill, 'resize-copy', 'delete-copy', 'delete-copy']);
    const after = ok<VolumeView>(await tenant.get(volume.volumeId));
    expect(after).toMatchObject({ status: 'available', type: 'hdd', iops: 100, generation: 2 });
    expect(after.copies.map((copy) => copy.role).sort()).toEqual(['mirror', 'primary']);
    const record = await volumeRecord(volume.volumeId);
    expect((record.copies as { inSync?: boolean; inSyncGeneration?: number }[]).every((copy) => copy.inSync && copy.inSyncGeneration === 2)).toBe(true);
    expect(after.copies.map((copy) => copy.copyId)).not.toEqual(expect.arrayContaining(volume.copies.map((copy) => copy.copyId)));
    expect(record.modificationId).toBeUndefined();
  });

  test('a host that fails a step sends the workflow to its Catch: the modification fails with the step and cause, and the volume is as before', async () => {
    // Given: hosts that refuse to extend the chain
    const location = freshLocation();
    const hosts = await modificationHosts(location, undefined, 'extend-chain');
    const volume = await availableVolumeIn(location);
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { type: 'hdd' }));
    // Then
    const failed = await modificationReaching(volume.volumeId, requested.modificationId, ['failed', 'completed']);
    expect(failed.status).toBe('failed');
    expect(failed.statusReason).toMatch(/failed at step extend-chain on host .*DiskFull/);
    const run = await execution('ModifyVolume', `modify-${requested.modificationId}`);
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered.slice(-2)).toEqual(['After failure', 'Modification failed']);
    expect(run.statesEntered).toContain('Fail modification');
    const after = ok<VolumeView>(await tenant.get(volume.volumeId));
    expect(after).toEqual({ ...volume, updatedAt: after.updatedAt });
    await eventually(async () => (commandsFor(hosts, volume.volumeId).includes('delete-copy') ? true : undefined), 30_000, 'the filling copy to be deleted');
  });

  test('a cutover that fails after the primary was quiesced waits for the primary to serve again before the modification ends failed and the volume is available', async () => {
    // Given: hosts that refuse the cutover (end-chain), so the primary is left quiesced
    const location = freshLocation();
    const hosts = await modificationHosts(location, undefined, 'end-chain');
    const volume = await availableVolumeIn(location);
    const since = marker();
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { type: 'hdd' }));
    // Then the rollback's resize-copy to the primary is sent and answered before the modification ends
    const failed = await modificationReaching(volume.volumeId, requested.modificationId, ['failed', 'completed']);
    expect(failed.statusReason).toMatch(/failed at step end-chain on host .*DiskFull.*; the quiesced primary cpy-[0-9a-f]+ on host .* serves again$/);
    const primary = volume.copies.find((copy) => copy.role === 'primary');
    const reServes = hosts.flatMap((host) => host.received.filter((command) => command.type === 'resize-copy' && command.payload.volumeId === volume.volumeId).map((command) => ({ hostId: host.options.hostId, copyId: command.payload.copyId })));
    expect(reServes).toEqual([{ hostId: primary?.hostId, copyId: primary?.copyId }]);
    // (the filling copy's delete-copy is queued by the rollback itself; the re-serve is the workflow's next command)
    expect(commandsFor(hosts, volume.volumeId, since)).toEqual(['create-copy', 'extend-chain', 'quiesce-replication', 'end-chain', 'delete-copy', 'resize-copy']);
    const run = await execution('ModifyVolume', `modify-${requested.modificationId}`);
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered.slice(-7)).toEqual(['Fail modification', 'After failure', 'Wait for re-serve', 'Record answer', 'Advance modification', 'What next', 'Modification failed']);
    const after = ok<VolumeView>(await tenant.get(volume.volumeId));
    expect(after).toEqual({ ...volume, updatedAt: after.updatedAt });
  });

  test('when the primary told to serve again refuses too, the modification ends failed saying so and the volume goes to error, not available', async () => {
    // Given: hosts that refuse every resize-copy, so a grow fails at the mirror's resize and the quiesced primary refuses to serve again
    const location = freshLocation();
    const hosts = await modificationHosts(location, undefined, 'resize-copy');
    const volume = await availableVolumeIn(location);
    const since = marker();
    // When
    const requested = ok<ModificationView>(await modify(volume.volumeId, { sizeGiB: 20 }));
    // Then
    const failed = await modificationReaching(volume.volumeId, requested.modificationId, ['failed', 'completed']);
    expect(failed.statusReason).toMatch(/failed at step resize-mirror on host .*; the quiesced primary cpy-[0-9a-f]+ on host .* did not serve again: .*DiskFull/);
    expect(commandsFor(hosts, volume.volumeId, since)).toEqual(['quiesce-replication', 'resize-copy', 'resize-copy']);
    const run = await execution('ModifyVolume', `modify-${requested.modificationId}`);
    expect(run.status).toBe('FAILED');
    expect(run.statesEntered.slice(-4)).toEqual(['Wait for re-serve', 'Re-serve failed', 'After failure', 'Modification failed']);
    const after = ok<VolumeView>(await tenant.get(volume.volumeId));
    expect(after).toMatchObject({ status: 'error', sizeGiB: 10, statusReason: expect.stringMatching(/did not serve again/) });
  });
});
