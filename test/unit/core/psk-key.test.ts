import { newVolumeKeys } from '../../../core/psk-key';

describe('newVolumeKeys', () => {
  test('when keys are made for a volume, the client and replication keys differ and their identities name the volume', () => {
    // Given
    const volumeId = 'vol-0123456789abcdef0';
    // When
    const keys = newVolumeKeys(volumeId);
    // Then
    expect(keys.client.identity).toBe('client-0123456789abcdef0');
    expect(keys.replication.identity).toBe('repl-0123456789abcdef0');
    expect(keys.client.keyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.replication.keyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.client.keyHex).not.toBe(keys.replication.keyHex);
  });

  test('when identities are made, they fit the agent contract of 1-32 of [a-z0-9-]', () => {
    // Given / When
    const { client, replication } = newVolumeKeys('vol-0123456789abcdef0');
    // Then
    expect(client.identity).toMatch(/^[a-z0-9-]{1,32}$/);
    expect(replication.identity).toMatch(/^[a-z0-9-]{1,32}$/);
  });

  test('when two volumes get keys, no key is shared', () => {
    // Given / When
    const a = newVolumeKeys('vol-0000000000000000a');
    const b = newVolumeKeys('vol-0000000000000000b');
    // Then
    expect(new Set([a.client.keyHex, a.replication.keyHex, b.client.keyHex, b.replication.keyHex]).size).toBe(4);
  });
});
