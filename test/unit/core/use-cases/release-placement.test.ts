import { NotFoundError } from '../../../../core/errors';
import { COMMAND_ID_PATTERN } from '../../../../core/ids';
import { reservationsFor } from '../../../../core/use-cases/place-volume-copies';
import { releasePlacement, type ReleasePlacementDeps } from '../../../../core/use-cases/release-placement';
import { aHost, aVolume } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const COPIES = [
  { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' },
  { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror' },
] as const;

async function setUp() {
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const commands = new InMemoryHostCommandQueue();
  const clock = new FakeClock('2025-03-01T00:10:00.000Z');
  hosts.put(aHost({ hostId: 'host-a' }));
  hosts.put(aHost({ hostId: 'host-b' }));
  const volume = volumes.put(aVolume({ sizeGiB: 100, iops: 3000, status: 'creating', copies: [...COPIES] }));
  await hosts.reserve(reservationsFor(volume));
  const deps: ReleasePlacementDeps = { volumes, hosts, commands, now: clock.now };
  return { volumes, hosts, commands, deps, volume };
}

const allocated = async (hosts: InMemoryHostRepository, hostId: string) => (await hosts.get(hostId))?.capacity.ssd;

describe('releasePlacement', () => {
  test("when the volume's copies hold reservations, it gives their capacity back and says what it released", async () => {
    // Given
    const { hosts, deps, volume } = await setUp();
    expect(await allocated(hosts, 'host-a')).toMatchObject({ allocatedGiB: 100, allocatedIops: 3000 });
    // When
    const result = await releasePlacement(deps, volume.volumeId, false);
    // Then
    expect(result).toEqual({
      volumeId: volume.volumeId,
      released: [
        { hostId: 'host-a', copyId: 'cpy-000000000001' },
        { hostId: 'host-b', copyId: 'cpy-000000000002' },
      ],
    });
    expect(hosts.allReservations()).toEqual([]);
    expect(await allocated(hosts, 'host-a')).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
    expect(await allocated(hosts, 'host-b')).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
  });

  test('when it runs twice, the second run gives nothing back a second time', async () => {
    // Given
    const { hosts, deps, volume } = await setUp();
    await releasePlacement(deps, volume.volumeId, false);
    // When
    await releasePlacement(deps, volume.volumeId, false);
    // Then
    expect(await allocated(hosts, 'host-a')).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
    expect(await allocated(hosts, 'host-b')).toMatchObject({ allocatedGiB: 0, allocatedIops: 0 });
  });

  test('when asked to clean up, it queues a delete-copy command for each copy on its host', async () => {
    // Given
    const { commands, deps, volume } = await setUp();
    // When
    await releasePlacement(deps, volume.volumeId, true);
    // Then
    const queued = commands.all();
    expect(queued.map((c) => [c.hostId, c.type, c.payload, c.status, c.taskToken])).toEqual([
      ['host-a', 'delete-copy', { volumeId: volume.volumeId, copyId: 'cpy-000000000001', generation: volume.generation }, 'pending', undefined],
      ['host-b', 'delete-copy', { volumeId: volume.volumeId, copyId: 'cpy-000000000002', generation: volume.generation }, 'pending', undefined],
    ]);
    expect(queued.every((c) => COMMAND_ID_PATTERN.test(c.commandId) && c.createdAt === '2025-03-01T00:10:00.000Z')).toBe(true);
  });

  test('when not asked to clean up, it queues no command', async () => {
    // Given
    const { commands, deps, volume } = await setUp();
    // When
    await releasePlacement(deps, volume.volumeId, false);
    // Then
    expect(commands.all()).toEqual([]);
  });

  test('when the volume was never placed, it releases nothing and queues nothing', async () => {
    // Given
    const { volumes, hosts, commands, deps } = await setUp();
    const unplaced = volumes.put(aVolume({ copies: [] }));
    // When
    const result = await releasePlacement(deps, unplaced.volumeId, true);
    // Then
    expect(result.released).toEqual([]);
    expect(commands.all()).toEqual([]);
    expect(hosts.allReservations()).toHaveLength(2);
  });

  test('when the volume does not exist, it throws NotFoundError', async () => {
    // Given
    const { deps } = await setUp();
    // When
    const act = releasePlacement(deps, 'vol-0000000000000dead', true);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});
