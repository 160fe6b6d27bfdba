import { InvalidStateError } from '../../../core/errors';
import { transition } from '../../../core/volume-transition';
import { aVolume } from '../fakes/builders';

const AT = new Date('2025-03-01T01:00:00.000Z');

describe('transition', () => {
  test('when the event moves the volume, it returns the new status one version later at the given time', () => {
    // Given
    const volume = aVolume({ status: 'creating', version: 3 });
    // When
    const next = transition(volume, { type: 'copies-created' }, AT);
    // Then
    expect(next).toEqual({ ...volume, status: 'available', statusReason: undefined, version: 4, updatedAt: AT.toISOString() });
  });

  test('when the status moves on without a reason, it clears the old reason', () => {
    // Given
    const volume = aVolume({ status: 'error', statusReason: 'host-a ran out of space' });
    // When
    const next = transition(volume, { type: 'delete-requested' }, AT);
    // Then
    expect(next.status).toBe('deleting');
    expect(next.statusReason).toBeUndefined();
  });

  test('when the status stays the same without a new reason, it keeps the reason', () => {
    // Given
    const volume = aVolume({ status: 'degraded', statusReason: 'mirror on host-b lost' });
    // When
    const next = transition(volume, { type: 'attached' }, AT);
    // Then
    expect(next).toMatchObject({ status: 'degraded', statusReason: 'mirror on host-b lost' });
  });

  test('when the event brings a reason, it replaces the old one', () => {
    // Given
    const volume = aVolume({ status: 'degraded', statusReason: 'mirror on host-b lost' });
    // When
    const next = transition(volume, { type: 'rebuild-failed', reason: 'no host has room' }, AT);
    // Then
    expect(next.statusReason).toBe('no host has room');
  });

  test('when other changes are given, it applies them with the status change', () => {
    // Given
    const volume = aVolume({ status: 'available', attachments: [] });
    const attachment = { attachmentId: 'att-000000000001', createdAt: AT.toISOString(), clientKey: { identity: 'client-1', ciphertext: 'c2VhbGVk' } };
    // When
    const next = transition(volume, { type: 'attached' }, AT, { attachments: [attachment] });
    // Then
    expect(next).toMatchObject({ status: 'in-use', attachments: [attachment], version: volume.version + 1 });
  });

  test('when the event is refused, it throws InvalidStateError and the volume is unchanged', () => {
    // Given
    const volume = aVolume({ status: 'deleted' });
    const copy = structuredClone(volume);
    // When
    const act = () => transition(volume, { type: 'attached' }, AT);
    // Then
    expect(act).toThrow(InvalidStateError);
    expect(volume).toEqual(copy);
  });
});
