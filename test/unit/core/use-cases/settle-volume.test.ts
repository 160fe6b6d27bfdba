import { InvalidStateError, NotFoundError } from '../../../../core/errors';
import { settleVolume } from '../../../../core/use-cases/settle-volume';
import type { VolumeCopy } from '../../../../core/volume';
import { reasonFrom } from '../../../../core/workflow-failure';
import { aVolume } from '../../fakes/builders';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const AT = new Date('2025-03-01T00:20:00.000Z');
const PRIMARY: VolumeCopy = { copyId: 'cpy-0000000000aa', hostId: 'host-a', role: 'primary' };
const MIRROR: VolumeCopy = { copyId: 'cpy-0000000000bb', hostId: 'host-b', role: 'mirror' };

describe('reasonFrom', () => {
  test('when a host command timed out, it says a storage host did not answer in time', () => {
    // Given
    const failure = { Error: 'States.Timeout', Cause: 'The task timed out.' };
    // When
    const reason = reasonFrom(failure);
    // Then
    expect(reason).toBe('a storage host did not answer in time (States.Timeout)');
  });

  test('when a Lambda task failed, it takes the message out of the JSON cause', () => {
    // Given
    const failure = {
      Error: 'InsufficientCapacityError',
      Cause: JSON.stringify({ errorType: 'InsufficientCapacityError', errorMessage: 'need 2 distinct active hosts; found 1', trace: ['at x'] }),
    };
    // When
    const reason = reasonFrom(failure);
    // Then
    expect(reason).toBe('InsufficientCapacityError: need 2 distinct active hosts; found 1');
  });

  test('when the cause is plain text, it keeps it after the error name', () => {
    // Given
    const failure = { Error: 'ENOSPC', Cause: 'host host-a failed create-copy: no space left on device' };
    // When
    const reason = reasonFrom(failure);
    // Then
    expect(reason).toBe('ENOSPC: host host-a failed create-copy: no space left on device');
  });

  test.each([
    ['JSON without errorMessage', '{"detail":1}', 'E: {"detail":1}'],
    ['the JSON literal null', 'null', 'E: null'],
    ['a JSON number', '42', 'E: 42'],
  ])('when the cause is %s, it keeps the cause as it is', (_name, cause, expected) => {
    // When
    const result = reasonFrom({ Error: 'E', Cause: cause });
    // Then
    expect(result).toBe(expected);
  });

  test('when there is no cause, it gives the error name alone', () => {
    // When
    const result = reasonFrom({ Error: 'States.TaskFailed' });
    // Then
    expect(result).toBe('States.TaskFailed');
  });

  test('when there is no failure at all, it says the failure is unknown', () => {
    // When
    const result = reasonFrom(undefined);
    // Then
    expect(result).toBe('unknown failure');
  });

  test('when the cause is huge, it keeps the reason to 1024 characters', () => {
    // Given
    const failure = { Error: 'E', Cause: 'x'.repeat(5000) };
    // When
    const reason = reasonFrom(failure);
    // Then
    expect(reason).toHaveLength(1024);
    expect(reason.startsWith('E: xxx')).toBe(true);
  });
});

describe('settleVolume', () => {
  test('when the copies were created, it marks the creating volume available', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'creating', version: 2 }));
    // When
    const settled = await settleVolume(volumes, volume.volumeId, 'copies-created', undefined, AT);
    // Then
    expect(settled).toMatchObject({ status: 'available', version: 3, updatedAt: AT.toISOString() });
    expect(settled.statusReason).toBeUndefined();
    expect(await volumes.get(volume.volumeId)).toEqual(settled);
  });

  test('when creation failed, it marks the volume error with the reason from the workflow', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'creating' }));
    // When
    const settled = await settleVolume(volumes, volume.volumeId, 'creation-failed', { Error: 'States.Timeout' }, AT);
    // Then
    expect(settled).toMatchObject({ status: 'error', statusReason: 'a storage host did not answer in time (States.Timeout)' });
  });

  test('when the copies were deleted, it marks the deleting volume deleted', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'deleting' }));
    // When
    const settled = await settleVolume(volumes, volume.volumeId, 'copies-deleted', undefined, AT);
    // Then
    expect(settled.status).toBe('deleted');
  });

  test.each([
    [0, 'available'],
    [2, 'in-use'],
  ] as const)('when the mirror was rebuilt and %d clients are attached, it marks the degraded volume %s and clears the reason', async (n, status) => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const attachments = Array.from({ length: n }, (_, i) => ({ attachmentId: `att-00000000000${i}`, createdAt: AT.toISOString(), clientKey: { identity: `client-${i}`, ciphertext: 'c2VhbGVk' } }));
    const volume = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror lost', attachments, copies: [PRIMARY, MIRROR] }));
    // When
    const settled = await settleVolume(volumes, volume.volumeId, 'replica-rebuilt', undefined, AT, { mirrorCopyId: MIRROR.copyId, generation: volume.generation });
    // Then
    expect(settled.status).toBe(status);
    expect(settled.statusReason).toBeUndefined();
  });

  // Two rebuilds of one volume: the one whose mirror was replaced meanwhile marked the other's
  // empty mirror in sync, and a later fail-over promoted it (every acknowledged write lost).
  test('when the mirror the rebuild synchronised is no longer the volume\'s, it refuses and marks nothing in sync', async () => {
    // Given: the record's mirror is another rebuild's, not yet synchronised
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror lost', copies: [PRIMARY, MIRROR] }));
    // When
    const settling = settleVolume(volumes, volume.volumeId, 'replica-rebuilt', undefined, AT, { mirrorCopyId: 'cpy-0000000000dd', generation: volume.generation });
    // Then
    await expect(settling).rejects.toThrow(InvalidStateError);
    await expect(settling).rejects.toThrow(/cpy-0000000000dd .* is no longer the volume's mirror \(cpy-0000000000bb/);
    const kept = await volumes.get(volume.volumeId);
    expect(kept?.copies.find((c) => c.role === 'mirror')?.inSync).toBeUndefined();
    expect(kept?.status).toBe('degraded');
  });

  test('when the synchronised mirror is named at an older generation, it refuses', async () => {
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror lost', generation: 3, copies: [PRIMARY, MIRROR] }));
    await expect(settleVolume(volumes, volume.volumeId, 'replica-rebuilt', undefined, AT, { mirrorCopyId: MIRROR.copyId, generation: 2 })).rejects.toThrow(InvalidStateError);
  });

  test('when the mirror it synchronised is the volume\'s, it marks that mirror and the primary in sync at the generation', async () => {
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror lost', generation: 3, copies: [PRIMARY, MIRROR] }));
    const settled = await settleVolume(volumes, volume.volumeId, 'replica-rebuilt', undefined, AT, { mirrorCopyId: MIRROR.copyId, generation: 3 });
    expect(settled.copies.map((c) => [c.copyId, c.inSync, c.inSyncGeneration])).toEqual([
      [PRIMARY.copyId, true, 3],
      [MIRROR.copyId, true, 3],
    ]);
  });

  test('when rebuilding failed, it keeps the volume degraded with why', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror lost' }));
    // When
    const settled = await settleVolume(volumes, volume.volumeId, 'rebuild-failed', { Error: 'States.Timeout' }, AT);
    // Then
    expect(settled).toMatchObject({
      status: 'degraded',
      statusReason: 'rebuilding the mirror failed: a storage host did not answer in time (States.Timeout)',
    });
  });

  test('when the outcome does not fit the status, it throws InvalidStateError and writes nothing', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    const volume = volumes.put(aVolume({ status: 'available' }));
    // When
    const act = settleVolume(volumes, volume.volumeId, 'copies-deleted', undefined, AT);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect(volumes.saves).toBe(0);
  });

  test('when the volume does not exist, it throws NotFoundError', async () => {
    // Given
    const volumes = new InMemoryVolumeRepository();
    // When
    const act = settleVolume(volumes, 'vol-0000000000000dead', 'copies-created', undefined, AT);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});
