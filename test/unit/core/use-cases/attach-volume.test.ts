import { InvalidStateError, LimitExceededError, NotFoundError } from '../../../../core/errors';
import { ATTACHMENT_ID_PATTERN } from '../../../../core/ids';
import { attachVolume, describeAttachment, detachVolume, KEY_APPLY_WAIT_MS, MAX_ATTACHMENTS_PER_VOLUME, type AttachVolumeDeps } from '../../../../core/use-cases/attach-volume';
import type { Volume, VolumeCopy } from '../../../../core/volume';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { FakeKeyVault } from '../../fakes/fake-key-vault';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const NBD_A = { address: '10.0.0.1', port: 10809, exportName: 'vol-a' };
const NBD_B = { address: '10.0.0.2', port: 10810, exportName: 'vol-b' };
const BUILT: VolumeCopy[] = [
  { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', nbd: NBD_A },
  { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', nbd: NBD_B },
];

/** The primary's host answers every set-client-keys command as soon as attach looks (its first sleep). */
function answeringHost(commands: InMemoryHostCommandQueue, clock: FakeClock) {
  return async (ms: number) => {
    for (const command of commands.all()) {
      if (command.status === 'pending') await commands.complete(command.hostId, command.commandId, 'succeeded', { result: {} }, clock.now());
    }
    await clock.sleep(ms);
  };
}

function setUp(volume: Partial<Volume> = {}) {
  const volumes = new InMemoryVolumeRepository();
  const commands = new InMemoryHostCommandQueue();
  const keys = new FakeKeyVault();
  const clock = new FakeClock('2025-03-01T02:00:00.000Z');
  const stored = volumes.put(aVolume({ status: 'available', copies: BUILT, generation: 2, ...volume }));
  const deps: AttachVolumeDeps = { volumes, commands, keys, now: clock.now, sleep: answeringHost(commands, clock) };
  return { volumes, commands, keys, clock, deps, stored };
}

const keyCommands = (commands: InMemoryHostCommandQueue) => commands.all().filter((c) => c.type === 'set-client-keys');

describe('attachVolume', () => {
  test("when the volume is available, it mints a key for this attachment alone, stores it sealed and answers the primary's export with it", async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    // When
    const connection = await attachVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(connection).toEqual({
      attachmentId: expect.stringMatching(ATTACHMENT_ID_PATTERN),
      volumeId: stored.volumeId,
      generation: 2,
      hostId: 'host-a',
      nbd: NBD_A,
      tls: { type: 'psk', identity: `client-${stored.volumeId.slice(4)}-${connection.attachmentId.slice(4)}-g2`, keyHex: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    const saved = (await volumes.get(stored.volumeId)) as Volume;
    expect(saved).toMatchObject({ status: 'in-use', version: stored.version + 1 });
    expect(saved.attachments).toEqual([
      { attachmentId: connection.attachmentId, createdAt: '2025-03-01T02:00:00.000Z', clientKey: { identity: connection.tls.identity, ciphertext: expect.any(String) } },
    ]);
    expect(JSON.stringify(saved)).not.toContain(connection.tls.keyHex);
  });

  test('when it attaches, the primary is told to admit the new key list (without the key in the command) and attach waits for its answer', async () => {
    // Given
    const { commands, clock, deps, stored } = setUp();
    // When
    await attachVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(keyCommands(commands)).toEqual([
      expect.objectContaining({ hostId: 'host-a', status: 'succeeded', payload: { volumeId: stored.volumeId, copyId: 'cpy-000000000001', generation: 2 } }),
    ]);
    expect(clock.slept).toBeLessThan(KEY_APPLY_WAIT_MS);
  });

  test('when the primary does not answer, attach gives up after KEY_APPLY_WAIT_MS and still answers the connection', async () => {
    // Given
    const { clock, deps, stored } = setUp();
    // When
    const connection = await attachVolume({ ...deps, sleep: clock.sleep }, TENANT, stored.volumeId);
    // Then
    expect(connection.hostId).toBe('host-a');
    expect(clock.slept).toBeGreaterThanOrEqual(KEY_APPLY_WAIT_MS - 100);
    expect(clock.slept).toBeLessThanOrEqual(KEY_APPLY_WAIT_MS);
  });

  test('when a second client attaches, it gets another attachment with another key', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const first = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const second = await attachVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(second.attachmentId).not.toBe(first.attachmentId);
    expect(second.tls.keyHex).not.toBe(first.tls.keyHex);
    expect((await volumes.get(stored.volumeId))?.attachments).toHaveLength(2);
  });

  // Pins issue 7: attachments were unbounded, so the volume item could pass DynamoDB's 400 KB and answer 500.
  test('when the volume already has the maximum number of attachments, it refuses the next with LimitExceeded and saves nothing', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    for (let i = 0; i < MAX_ATTACHMENTS_PER_VOLUME; i += 1) await attachVolume(deps, TENANT, stored.volumeId);
    const saves = volumes.saves;
    // When
    const attaching = attachVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(attaching).rejects.toBeInstanceOf(LimitExceededError);
    expect(volumes.saves).toBe(saves);
    expect((await volumes.get(stored.volumeId))?.attachments).toHaveLength(MAX_ATTACHMENTS_PER_VOLUME);
  });

  test('when the volume is degraded, it still attaches to the serving primary and stays degraded', async () => {
    // Given
    const { volumes, deps, stored } = setUp({ status: 'degraded', statusReason: 'mirror lost', copies: [BUILT[0] as VolumeCopy] });
    // When
    const connection = await attachVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(connection.hostId).toBe('host-a');
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'degraded', statusReason: 'mirror lost' });
  });

  test.each([
    ['creating', { status: 'creating' as const }],
    ['deleting', { status: 'deleting' as const }],
    ['in error', { status: 'error' as const }],
    ['available but its primary has no export yet', { copies: [{ copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' as const }] }],
  ])('when the volume is %s, it throws InvalidStateError and records nothing', async (_name, change) => {
    // Given
    const { volumes, commands, keys, deps, stored } = setUp(change);
    // When
    const act = attachVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
    expect(commands.all()).toEqual([]);
    expect(keys.sealed).toBe(0);
  });

  test("when the volume is another tenant's, it throws NotFoundError", async () => {
    // Given
    const { deps, stored } = setUp({ tenantId: OTHER_TENANT });
    // When
    const act = attachVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});

describe('describeAttachment', () => {
  test("when asked again, it answers the attachment's own key, opened from the sealed record", async () => {
    // Given
    const { deps, stored } = setUp();
    const attached = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const connection = await describeAttachment(deps, TENANT, stored.volumeId, attached.attachmentId);
    // Then
    expect(connection.tls).toEqual(attached.tls);
  });

  test('when the primary changed after a fail-over, it names the new primary', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const { attachmentId } = await attachVolume(deps, TENANT, stored.volumeId);
    const attached = (await volumes.get(stored.volumeId)) as Volume;
    volumes.put({ ...attached, generation: 3, copies: [{ copyId: 'cpy-000000000002', hostId: 'host-b', role: 'primary', nbd: NBD_B }] });
    // When
    const connection = await describeAttachment(deps, TENANT, stored.volumeId, attachmentId);
    // Then
    expect(connection).toMatchObject({ attachmentId, hostId: 'host-b', nbd: NBD_B, generation: 3 });
  });

  test('when the attachment does not exist, it throws NotFoundError and opens no key', async () => {
    // Given
    const { keys, deps, stored } = setUp();
    // When
    const act = describeAttachment(deps, TENANT, stored.volumeId, 'att-000000000009');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
    expect(keys.opened).toBe(0);
  });
});

describe('detachVolume', () => {
  test('when the last attachment goes, the volume is available again and the primary is told to drop the key', async () => {
    // Given
    const { volumes, commands, deps, stored } = setUp();
    const { attachmentId } = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const answer = await detachVolume(deps, TENANT, stored.volumeId, attachmentId);
    // Then
    expect(answer).toEqual({ volumeId: stored.volumeId, attachmentId, status: 'available' });
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'available', attachments: [] });
    expect(keyCommands(commands)).toHaveLength(2);
    expect(keyCommands(commands)[1]).toMatchObject({ hostId: 'host-a', status: 'pending', payload: { volumeId: stored.volumeId, copyId: 'cpy-000000000001' } });
  });

  test('when other attachments remain, it stays in-use and keeps their keys', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const first = await attachVolume(deps, TENANT, stored.volumeId);
    const second = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const answer = await detachVolume(deps, TENANT, stored.volumeId, first.attachmentId);
    // Then
    expect(answer.status).toBe('in-use');
    expect((await volumes.get(stored.volumeId))?.attachments.map((a) => a.clientKey.identity)).toEqual([second.tls.identity]);
  });

  test('when a promotion is under way (the promoted primary has no endpoint yet), detach still tells the promoted primary', async () => {
    // Given
    const { volumes, commands, deps, stored } = setUp();
    const { attachmentId } = await attachVolume(deps, TENANT, stored.volumeId);
    const attached = (await volumes.get(stored.volumeId)) as Volume;
    volumes.put({ ...attached, status: 'degraded', generation: 3, copies: [{ copyId: 'cpy-000000000002', hostId: 'host-b', role: 'primary', inSync: true }] });
    // When
    await detachVolume(deps, TENANT, stored.volumeId, attachmentId);
    // Then
    expect(keyCommands(commands).at(-1)).toMatchObject({ hostId: 'host-b', payload: { copyId: 'cpy-000000000002', generation: 3 } });
  });

  test('when the attachment is unknown, it throws NotFoundError and writes nothing', async () => {
    // Given
    const { volumes, commands, deps, stored } = setUp();
    // When
    const act = detachVolume(deps, TENANT, stored.volumeId, 'att-000000000009');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
    expect(volumes.saves).toBe(0);
    expect(commands.all()).toEqual([]);
  });
});
