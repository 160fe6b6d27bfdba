import { changeSnapshot, describeSnapshot, pendingSnapshot } from '../../../../core/snapshots/snapshot';
import { applySnapshotEvent } from '../../../../core/snapshots/snapshot-status';

const now = new Date('2026-12-02T03:00:00.000Z');
const pending = () => pendingSnapshot({ tenantId: 't', volumeId: 'vol-0000000000000000a', lineageId: 'vol-0000000000000000a', sizeGiB: 1, now }, 'snap-00000000000000001');

describe('snapshot lifecycle', () => {
  it('when a pending snapshot is uploaded, it is completed at 100 % with its completion time', () => {
    const done = changeSnapshot(pending(), { type: 'uploaded' }, now, { storedBytes: 5 });
    expect(describeSnapshot(done)).toMatchObject({ status: 'completed', progressPercent: 100, completedAt: now.toISOString(), storedBytes: 5 });
    expect(done.version).toBe(2);
  });

  it('when progress arrives, the percentage only rises and stays below 100 until the upload ends', () => {
    const at50 = changeSnapshot(pending(), { type: 'progress', percent: 50 }, now);
    expect(changeSnapshot(at50, { type: 'progress', percent: 20 }, now).progressPercent).toBe(50);
    expect(changeSnapshot(at50, { type: 'progress', percent: 100 }, now).progressPercent).toBe(99);
  });

  it('when a pending snapshot is asked to be deleted, it is refused (it finishes or fails first)', () => {
    expect(() => applySnapshotEvent('pending', { type: 'delete-requested' })).toThrow(/pending cannot take 'delete-requested'/);
  });

  it('when a completed or failed snapshot is deleted, it goes deleting then deleted', () => {
    for (const status of ['completed', 'error'] as const) {
      expect(applySnapshotEvent(status, { type: 'delete-requested' }).status).toBe('deleting');
    }
    expect(applySnapshotEvent('deleting', { type: 'chunks-released' }).status).toBe('deleted');
    expect(() => applySnapshotEvent('deleted', { type: 'uploaded' })).toThrow(/deleted cannot take 'uploaded'/);
  });

  it('when a snapshot fails, the reason is shown and the view has no tenant', () => {
    const failed = changeSnapshot(pending(), { type: 'failed', reason: 'chunk 3 upload refused' }, now);
    const view = describeSnapshot(failed);
    expect(view).toMatchObject({ status: 'error', statusReason: 'chunk 3 upload refused' });
    expect(view).not.toHaveProperty('tenantId');
  });
});
