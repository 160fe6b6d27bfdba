import { newClientKey, newReplicationKey } from '../../../core/psk-key';

const VOLUME = 'vol-0123456789abcdef0';

describe('newClientKey and newReplicationKey', () => {
  test('when keys are made, their identities name the volume, the attachment or mirror, and the generation', () => {
    // When
    const client = newClientKey(VOLUME, 'att-0123456789ab', 3);
    const replication = newReplicationKey(VOLUME, 'cpy-ba9876543210');
    // Then
    expect(client.identity).toBe('client-0123456789abcdef0-0123456789ab-g3');
    expect(replication.identity).toBe('repl-0123456789abcdef0-ba9876543210');
    expect(client.keyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(replication.keyHex).toMatch(/^[0-9a-f]{64}$/);
  });

  test('when identities are made, they fit the agent contract of 1-64 of [A-Za-z0-9_.-]', () => {
    // When
    const client = newClientKey(VOLUME, 'att-0123456789ab', Number.MAX_SAFE_INTEGER);
    const replication = newReplicationKey(VOLUME, 'cpy-ba9876543210');
    // Then
    expect(client.identity).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
    expect(replication.identity).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
  });

  test('when the same attachment is keyed again (a fail-over), the key is new', () => {
    // When
    const keys = [newClientKey(VOLUME, 'att-0123456789ab', 1), newClientKey(VOLUME, 'att-0123456789ab', 2), newReplicationKey(VOLUME, 'cpy-ba9876543210')];
    // Then
    expect(new Set(keys.map((key) => key.keyHex)).size).toBe(3);
  });
});
