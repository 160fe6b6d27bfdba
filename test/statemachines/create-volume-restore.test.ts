import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { DynamoDbSnapshotRepository } from '../../adapters/dynamodb-snapshot-repository';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { pendingSnapshot } from '../../core/snapshots/snapshot';
import { SnapshotStatus } from '../../core/snapshots/snapshot-status';
import { identities } from '../e2e/support/local-cloud';
import { execution } from './support/executions';
import { freshLocation, hostsIn, stopHosts, tenant, volumeReaching, volumeRecord } from './support/scenario';

/**
 * The create-volume workflow for a volume restored from a snapshot (docs/snapshots.md, "Restore"),
 * with scripted hosts: each create-copy carries `restoreFrom` and the command id Place copies
 * chose and recorded, so GET /volumes/{id} reads the fills' progress from exactly those commands.
 */
jest.setTimeout(150_000);
afterEach(() => stopHosts());

const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const snapshots = new DynamoDbSnapshotRepository(outputs.BlockplaneSnapshots.SnapshotsTableName);

/** A completed snapshot record of tenant a (the workflow reads only the record; no host fetches its chunks here). */
async function completedSnapshot(): Promise<string> {
  // The tenant is the IAM user's unique id (core/tenant.ts).
  const tenantId = (await new IAMClient({}).send(new GetUserCommand({ UserName: identities.tenants.a.name }))).User!.UserId!;
  const pending = pendingSnapshot({ tenantId, volumeId: 'vol-0000000000000feed', lineageId: 'vol-0000000000000feed', sizeGiB: 10, now: new Date() });
  await snapshots.create(pending);
  await snapshots.save({ ...pending, status: SnapshotStatus.completed, progressPercent: 100, version: 2 });
  return pending.snapshotId;
}

describe('create-volume workflow, restoring from a snapshot', () => {
  test('when both hosts fill and build their copies, each create-copy named the snapshot under the recorded command id, and the restore shows 100 % once available', async () => {
    // Given
    const location = freshLocation();
    const hosts = await hostsIn(location, ['succeed', 'succeed'], 1, { slow: { type: 'create-copy', answerAfterMs: 4_000, progressEveryMs: 500 } });
    const snapshotId = await completedSnapshot();
    // When
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', location, snapshotId }));
    const run = await execution('CreateVolume', `create-${created.volumeId}`);
    // Then
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesEntered).toEqual(expect.arrayContaining(['Place copies', 'Create copies on hosts', 'Record copy endpoints', 'Mark volume available']));
    const record = await volumeRecord(created.volumeId);
    const fills = hosts.flatMap((host) => host.received.filter((command) => command.type === 'create-copy').map((command) => ({ hostId: host.options.hostId, commandId: command.commandId, restoreFrom: command.payload.restoreFrom })));
    expect(fills).toHaveLength(2);
    expect(fills.map(({ restoreFrom }) => restoreFrom)).toEqual([{ snapshotId }, { snapshotId }]);
    expect([...(record.restoreCommands as { hostId: string; commandId: string }[])].sort((a, b) => a.hostId.localeCompare(b.hostId))).toEqual(
      fills.map(({ hostId, commandId }) => ({ hostId, commandId })).sort((a, b) => a.hostId.localeCompare(b.hostId)),
    );
    expect(await volumeReaching(created.volumeId, ['available'])).toMatchObject({ snapshotId, restoreProgressPercent: 100 });
  });

  test('when a host fails to fill its copy, the volume is error with the host\'s reason and no restore progress', async () => {
    // Given
    const location = freshLocation();
    await hostsIn(location, ['fail', 'fail']);
    const snapshotId = await completedSnapshot();
    // When
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', location, snapshotId }));
    const run = await execution('CreateVolume', `create-${created.volumeId}`);
    // Then
    expect(run).toMatchObject({ status: 'FAILED', error: 'VolumeCreationFailed' });
    const failed = await volumeReaching(created.volumeId, ['error']);
    expect(failed.statusReason).toContain('no space left');
    expect(failed).not.toHaveProperty('restoreProgressPercent');
  });
});
