import { keysToDeliver } from '../../../core/command-keys';
import type { HostCommandType } from '../../../core/host-command';
import type { Volume, VolumeCopy } from '../../../core/volume';
import { aVolume } from '../fakes/builders';
import { aSealedKey } from '../fakes/fake-key-vault';

const NBD = { address: '10.0.0.2', port: 10810, exportName: 'v' };
const PRIMARY: VolumeCopy = { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', nbd: NBD };
const MIRROR: VolumeCopy = { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', nbd: NBD };

function keyedVolume(overrides: Partial<Volume> = {}): Volume {
  const volume = aVolume({ status: 'in-use', generation: 4, copies: [PRIMARY, MIRROR], ...overrides });
  return {
    ...volume,
    attachments: [
      { attachmentId: 'att-000000000001', createdAt: volume.createdAt, clientKey: aSealedKey(volume.volumeId, 'client-1', '1'.repeat(64)) },
      { attachmentId: 'att-000000000002', createdAt: volume.createdAt, clientKey: aSealedKey(volume.volumeId, 'client-2', '2'.repeat(64)) },
    ],
    replicationKey: aSealedKey(volume.volumeId, 'repl-2', 'e'.repeat(64)),
    ...overrides,
  };
}

const command = (type: HostCommandType, copy: VolumeCopy, payload: Record<string, unknown> = {}) => ({
  type,
  payload: { volumeId: 'ignored', copyId: copy.copyId, generation: 4, ...payload },
});
const identities = (keys: ReturnType<typeof keysToDeliver>) => ({
  clientKeys: keys.clientKeys?.map((key) => key.identity),
  replicationKey: keys.replicationKey?.identity,
});

describe('keysToDeliver', () => {
  test.each<[string, HostCommandType, VolumeCopy, Record<string, unknown>, ReturnType<typeof identities>]>([
    ['the primary is created', 'create-copy', PRIMARY, {}, { clientKeys: ['client-1', 'client-2'], replicationKey: 'repl-2' }],
    ['the mirror is created', 'create-copy', MIRROR, {}, { clientKeys: undefined, replicationKey: 'repl-2' }],
    ['the primary starts replicating to the current mirror', 'start-replication', PRIMARY, { mirror: { copyId: MIRROR.copyId } }, { clientKeys: undefined, replicationKey: 'repl-2' }],
    ['the mirror is promoted (the volume already names it primary)', 'promote-copy', PRIMARY, {}, { clientKeys: ['client-1', 'client-2'], replicationKey: undefined }],
    ['a migration cuts over to the new copy (planned promotion, it mirrors to the kept copy)', 'promote-copy', PRIMARY, { planned: true }, { clientKeys: ['client-1', 'client-2'], replicationKey: 'repl-2' }],
    ['the primary grows (it mirrors to the grown mirror again)', 'resize-copy', PRIMARY, {}, { clientKeys: undefined, replicationKey: 'repl-2' }],
    ['the mirror grows', 'resize-copy', MIRROR, {}, { clientKeys: undefined, replicationKey: undefined }],
    ['the mirror extends the chain to a new copy', 'extend-chain', MIRROR, {}, { clientKeys: undefined, replicationKey: 'repl-2' }],
    ['the primary is quiesced', 'quiesce-replication', PRIMARY, {}, { clientKeys: undefined, replicationKey: undefined }],
    ["the primary's key list changes", 'set-client-keys', PRIMARY, {}, { clientKeys: ['client-1', 'client-2'], replicationKey: undefined }],
    ['a copy is deleted', 'delete-copy', PRIMARY, {}, { clientKeys: undefined, replicationKey: undefined }],
  ])('when %s, the host gets exactly the keys of its role', (_name, type, copy, payload, expected) => {
    // Given
    const volume = keyedVolume();
    // When
    const keys = keysToDeliver(volume, copy.hostId, command(type, copy, payload));
    // Then
    expect(identities(keys)).toEqual(expected);
  });

  test.each<[string, string, ReturnType<typeof command>, Partial<Volume> | undefined]>([
    ['the command names a copy of another host', 'host-c', command('set-client-keys', PRIMARY), {}],
    ['the generation advanced since the command was issued', 'host-a', command('create-copy', PRIMARY, { generation: 3 }), {}],
    ['the mirror never gets client keys, even when it is asked as a primary', 'host-b', command('set-client-keys', MIRROR), {}],
    ['the mirror to replicate to was replaced', 'host-a', command('start-replication', PRIMARY, { mirror: { copyId: 'cpy-00000000dead' } }), {}],
    ['the copy is no longer part of the volume', 'host-a', command('create-copy', PRIMARY), { copies: [MIRROR] }],
    ['the volume is gone', 'host-a', command('create-copy', PRIMARY), undefined],
  ])('when %s, no key is delivered', (_name, hostId, stale, volume) => {
    // When
    const keys = keysToDeliver(volume ? keyedVolume(volume) : undefined, hostId, stale);
    // Then
    expect(keys).toEqual({});
  });

  test('when a primary has no attachment, it gets an empty key list (it admits nobody)', () => {
    // Given
    const volume = { ...keyedVolume(), attachments: [] };
    // When
    const keys = keysToDeliver(volume, 'host-a', command('set-client-keys', PRIMARY));
    // Then
    expect(keys).toEqual({ clientKeys: [] });
  });
});
