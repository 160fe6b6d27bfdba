import { createCopyCommand, deleteCopyCommand, promoteCopyCommand, setClientKeysCommand, startReplicationCommand } from '../../../core/copy-commands';
import type { VolumeCopy } from '../../../core/volume';
import { aVolume } from '../fakes/builders';
import { aSealedKey } from '../fakes/fake-key-vault';

const NBD_A = { address: '10.0.0.1', port: 10809, exportName: 'vol-a' };
const NBD_B = { address: '10.0.0.2', port: 10810, exportName: 'vol-b' };
const PRIMARY: VolumeCopy = { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' };
const MIRROR: VolumeCopy = { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' };

/** A volume with one attachment and a replication key: no command built from it may carry either. */
function keyedVolume(overrides: Parameters<typeof aVolume>[0] = {}) {
  const volume = aVolume(overrides);
  return {
    ...volume,
    attachments: [{ attachmentId: 'att-000000000001', createdAt: volume.createdAt, clientKey: aSealedKey(volume.volumeId, 'client-x', 'c'.repeat(64)) }],
    replicationKey: aSealedKey(volume.volumeId, 'repl-x', 'e'.repeat(64)),
  };
}

describe('createCopyCommand', () => {
  test('when the copy is the primary, it names the copy and its generation and carries no key', () => {
    // Given
    const volume = keyedVolume({ sizeGiB: 50, iops: 4000, generation: 2, copies: [PRIMARY, MIRROR] });
    // When
    const command = createCopyCommand(volume, PRIMARY);
    // Then
    expect(command).toEqual({
      hostId: 'host-a',
      type: 'create-copy',
      payload: { volumeId: volume.volumeId, copyId: PRIMARY.copyId, role: 'primary', sizeGiB: 50, type: 'ssd', iops: 4000, generation: 2 },
    });
  });

  test('when the copy is the mirror, it carries no key either', () => {
    // Given
    const volume = keyedVolume({ copies: [PRIMARY, MIRROR] });
    // When
    const command = createCopyCommand(volume, MIRROR);
    // Then
    expect(command.hostId).toBe('host-b');
    expect(JSON.stringify(command)).not.toMatch(/Key|ciphertext/);
  });
});

describe('startReplicationCommand', () => {
  test("when both copies are built, it asks the primary's host to mirror to the mirror's export, without the key", () => {
    // Given
    const volume = keyedVolume({ generation: 3, copies: [{ ...PRIMARY, nbd: NBD_A }, { ...MIRROR, nbd: NBD_B }] });
    // When
    const command = startReplicationCommand(volume, 'full');
    // Then
    expect(command).toEqual({
      hostId: 'host-a',
      type: 'start-replication',
      payload: { volumeId: volume.volumeId, copyId: PRIMARY.copyId, generation: 3, mirror: { hostId: 'host-b', copyId: MIRROR.copyId, ...NBD_B }, sync: 'full' },
    });
  });

  test.each([
    ['there is no mirror', [{ ...PRIMARY, nbd: NBD_A }]],
    ['the mirror is not built yet', [{ ...PRIMARY, nbd: NBD_A }, MIRROR]],
    ['there is no primary', [{ ...MIRROR, nbd: NBD_B }]],
  ])('when %s, it throws', (_name, copies) => {
    // Given
    const volume = aVolume({ copies });
    // When
    const act = () => startReplicationCommand(volume, 'none');
    // Then
    expect(act).toThrow(/no primary or no built mirror/);
  });
});

describe('promoteCopyCommand, setClientKeysCommand and deleteCopyCommand', () => {
  test("when a mirror is promoted, it is told the volume's generation and nothing else", () => {
    // Given
    const volume = keyedVolume({ generation: 5 });
    // When
    const command = promoteCopyCommand(volume, MIRROR);
    // Then
    expect(command).toEqual({ hostId: 'host-b', type: 'promote-copy', payload: { volumeId: volume.volumeId, copyId: MIRROR.copyId, generation: 5 } });
  });

  test("when the primary's key list changes, the command names the primary and the generation, not the keys", () => {
    // Given
    const volume = keyedVolume({ generation: 4 });
    // When
    const command = setClientKeysCommand(volume, PRIMARY);
    // Then
    expect(command).toEqual({ hostId: 'host-a', type: 'set-client-keys', payload: { volumeId: volume.volumeId, copyId: PRIMARY.copyId, generation: 4 } });
  });

  test('when a copy is deleted, the command names the volume, the copy and the generation it was given up at', () => {
    // When
    const result = deleteCopyCommand('vol-00000000000000001', MIRROR, 7);
    // Then
    expect(result).toEqual({
      hostId: 'host-b',
      type: 'delete-copy',
      payload: { volumeId: 'vol-00000000000000001', copyId: MIRROR.copyId, generation: 7 },
    });
  });
});
