import { InvalidStateError, LimitExceededError, NotFoundError } from '../../../../core/errors';
import { ATTACHMENT_ID_PATTERN } from '../../../../core/ids';
import { attachVolume, describeAttachment, detachVolume, MAX_ATTACHMENTS_PER_VOLUME, type AttachVolumeDeps } from '../../../../core/use-cases/attach-volume';
import type { Volume, VolumeCopy } from '../../../../core/volume';
import { aVolume, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const NBD_A = { address: '10.0.0.1', port: 10809, exportName: 'vol-a' };
const NBD_B = { address: '10.0.0.2', port: 10810, exportName: 'vol-b' };
const BUILT: VolumeCopy[] = [
  { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', nbd: NBD_A },
  { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', nbd: NBD_B },
];

function setUp(volume: Partial<Volume> = {}) {
  const volumes = new InMemoryVolumeRepository();
  const clock = new FakeClock('2025-03-01T02:00:00.000Z');
  const stored = volumes.put(aVolume({ status: 'available', copies: BUILT, generation: 2, ...volume }));
  const deps: AttachVolumeDeps = { volumes, now: clock.now };
  return { volumes, clock, deps, stored };
}

describe('attachVolume', () => {
  test("when the volume is available, it records the attachment, makes it in-use and answers the primary's export with the client key only", async () => {
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
      tls: { type: 'psk', identity: stored.keys.client.identity, keyHex: stored.keys.client.keyHex },
    });
    expect(JSON.stringify(connection)).not.toContain(stored.keys.replication.keyHex);
    const saved = await volumes.get(stored.volumeId);
    expect(saved).toMatchObject({ status: 'in-use', version: stored.version + 1 });
    expect(saved?.attachments).toEqual([{ attachmentId: connection.attachmentId, createdAt: '2025-03-01T02:00:00.000Z' }]);
  });

  test('when a second client attaches, it adds a second attachment and stays in-use', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const first = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const second = await attachVolume(deps, TENANT, stored.volumeId);
    // Then
    expect(second.attachmentId).not.toBe(first.attachmentId);
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
    const { volumes, deps, stored } = setUp(change);
    // When
    const act = attachVolume(deps, TENANT, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
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
  test('when the primary changed after a fail-over, it names the new primary', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const { attachmentId } = await attachVolume(deps, TENANT, stored.volumeId);
    const attached = (await volumes.get(stored.volumeId)) as Volume;
    volumes.put({ ...attached, generation: 3, copies: [{ copyId: 'cpy-000000000002', hostId: 'host-b', role: 'primary', nbd: NBD_B }] });
    // When
    const connection = await describeAttachment(volumes, TENANT, stored.volumeId, attachmentId);
    // Then
    expect(connection).toMatchObject({ attachmentId, hostId: 'host-b', nbd: NBD_B, generation: 3 });
  });

  test('when the attachment does not exist, it throws NotFoundError', async () => {
    // Given
    const { volumes, stored } = setUp();
    // When
    const act = describeAttachment(volumes, TENANT, stored.volumeId, 'att-000000000009');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});

describe('detachVolume', () => {
  test('when the last attachment goes, the volume is available again', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    const { attachmentId } = await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const answer = await detachVolume(deps, TENANT, stored.volumeId, attachmentId);
    // Then
    expect(answer).toEqual({ volumeId: stored.volumeId, attachmentId, status: 'available' });
    expect(await volumes.get(stored.volumeId)).toMatchObject({ status: 'available', attachments: [] });
  });

  test('when other attachments remain, it stays in-use', async () => {
    // Given
    const { deps, stored } = setUp();
    const first = await attachVolume(deps, TENANT, stored.volumeId);
    await attachVolume(deps, TENANT, stored.volumeId);
    // When
    const answer = await detachVolume(deps, TENANT, stored.volumeId, first.attachmentId);
    // Then
    expect(answer.status).toBe('in-use');
  });

  test('when the attachment is unknown, it throws NotFoundError and writes nothing', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    // When
    const act = detachVolume(deps, TENANT, stored.volumeId, 'att-000000000009');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
    expect(volumes.saves).toBe(0);
  });
});
