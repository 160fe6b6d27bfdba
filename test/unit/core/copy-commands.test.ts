import { createCopyCommand, deleteCopyCommand, promoteCopyCommand, startReplicationCommand } from '../../../core/copy-commands';
import type { VolumeCopy } from '../../../core/volume';
import { aVolume } from '../fakes/builders';

const NBD_A = { address: '10.0.0.1', port: 10809, exportName: 'vol-a' };
const NBD_B = { address: '10.0.0.2', port: 10810, exportName: 'vol-b' };
const PRIMARY: VolumeCopy = { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' };
const MIRROR: VolumeCopy = { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' };

describe('createCopyCommand', () => {
  test('when the copy is the primary, it carries the client key and the replication key', () => {
    // Given
    const volume = aVolume({ sizeGiB: 50, iops: 4000, generation: 2, copies: [PRIMARY, MIRROR] });
    // When
    const command = createCopyCommand(volume, PRIMARY);
    // Then
    expect(command).toEqual({
      hostId: 'host-a',
      type: 'create-copy',
      payload: {
        volumeId: volume.volumeId,
        copyId: PRIMARY.copyId,
        role: 'primary',
        sizeGiB: 50,
        type: 'ssd',
        iops: 4000,
        generation: 2,
        clientKey: volume.keys.client,
        replicationKey: volume.keys.replication,
      },
    });
  });

  test('when the copy is the mirror, it never carries the client key', () => {
    // Given
    const volume = aVolume({ copies: [PRIMARY, MIRROR] });
    // When
    const command = createCopyCommand(volume, MIRROR);
    // Then
    expect(command.hostId).toBe('host-b');
    expect(command.payload).not.toHaveProperty('clientKey');
    expect(JSON.stringify(command)).not.toContain(volume.keys.client.keyHex);
    expect(command.payload.replicationKey).toEqual(volume.keys.replication);
  });
});

describe('startReplicationCommand', () => {
  test("when both copies are built, it asks the primary's host to mirror to the mirror's export", () => {
    // Given
    const volume = aVolume({ generation: 3, copies: [{ ...PRIMARY, nbd: NBD_A }, { ...MIRROR, nbd: NBD_B }] });
    // When
    const command = startReplicationCommand(volume, 'full');
    // Then
    expect(command).toEqual({
      hostId: 'host-a',
      type: 'start-replication',
      payload: {
        volumeId: volume.volumeId,
        copyId: PRIMARY.copyId,
        generation: 3,
        mirror: { hostId: 'host-b', copyId: MIRROR.copyId, ...NBD_B },
        replicationKey: volume.keys.replication,
        sync: 'full',
      },
    });
    expect(JSON.stringify(command)).not.toContain(volume.keys.client.keyHex);
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

describe('promoteCopyCommand and deleteCopyCommand', () => {
  test("when a mirror is promoted, it is told the volume's generation and given the client key", () => {
    // Given
    const volume = aVolume({ generation: 5 });
    // When
    const command = promoteCopyCommand(volume, MIRROR);
    // Then
    expect(command).toEqual({
      hostId: 'host-b',
      type: 'promote-copy',
      payload: { volumeId: volume.volumeId, copyId: MIRROR.copyId, generation: 5, clientKey: volume.keys.client },
    });
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
