import { describeVolume, mirrorOf, primaryOf } from '../../../core/volume';
import { aVolume } from '../fakes/builders';

const NBD = { address: '10.0.0.1', port: 10809, exportName: 'vol' };

describe('describeVolume', () => {
  test('when a volume is shown to its customer, it hides the tenant, the version, the client token, the keys and the endpoints', () => {
    // Given
    const volume = aVolume({
      clientToken: 'tok-1',
      statusReason: 'x',
      attachments: [{ attachmentId: 'att-000000000001', createdAt: '2025-01-01T00:00:00.000Z', clientKey: { identity: 'client-1', ciphertext: 'c2VhbGVkLWNsaWVudA' } }],
      replicationKey: { identity: 'repl-1', ciphertext: 'c2VhbGVkLXJlcGw' },
      copies: [
        { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', nbd: NBD },
        { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', nbd: NBD },
      ],
    });
    // When
    const visible = describeVolume(volume);
    // Then
    expect(visible).not.toHaveProperty('tenantId');
    expect(visible).not.toHaveProperty('version');
    expect(visible).not.toHaveProperty('clientToken');
    expect(visible).not.toHaveProperty('replicationKey');
    expect(JSON.stringify(visible)).not.toMatch(/c2VhbGVkLWNsaWVudA|c2VhbGVkLXJlcGw|client-1|10809/);
    expect(visible.attachments).toEqual([{ attachmentId: 'att-000000000001', createdAt: volume.createdAt }]);
    expect(visible.copies).toEqual([
      { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', inSync: false },
      { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', inSync: false },
    ]);
    expect(visible).toMatchObject({ volumeId: volume.volumeId, sizeGiB: 100, status: 'creating', statusReason: 'x', generation: 1 });
  });
});

describe('primaryOf and mirrorOf', () => {
  test('when the volume has both copies, it finds each by role', () => {
    // Given
    const volume = aVolume({
      copies: [
        { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' },
        { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' },
      ],
    });
    // When / Then
    expect(primaryOf(volume)?.hostId).toBe('host-a');
    expect(mirrorOf(volume)?.hostId).toBe('host-b');
  });

  test('when the volume has no copies yet, it finds neither', () => {
    // When
    const result1 = primaryOf(aVolume());
    const result2 = mirrorOf(aVolume());
    // Then
    expect(result1).toBeUndefined();
    expect(result2).toBeUndefined();
  });
});
