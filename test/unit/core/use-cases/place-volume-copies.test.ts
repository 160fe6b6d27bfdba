import { InsufficientCapacityError, InvalidStateError, NotFoundError } from '../../../../core/errors';
import type { Host } from '../../../../core/host';
import { COPY_ID_PATTERN } from '../../../../core/ids';
import { MAX_PLACEMENT_ATTEMPTS, placeVolumeCopies, type PlaceVolumeCopiesDeps } from '../../../../core/use-cases/place-volume-copies';
import type { HostCommandRequest } from '../../../../core/copy-commands';
import type { CopyRole, Volume } from '../../../../core/volume';
import { aHost, aVolume, capacity } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { FakeKeyVault } from '../../fakes/fake-key-vault';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

function setUp(hostList: readonly Host[], volume: Partial<Volume> = {}) {
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const clock = new FakeClock('2025-03-01T00:00:10.000Z');
  hostList.forEach((host) => hosts.put(host));
  const stored = volumes.put(aVolume({ sizeGiB: 100, iops: 3000, type: 'ssd', location: 'zone-a', ...volume }));
  const keys = new FakeKeyVault();
  const deps: PlaceVolumeCopiesDeps = { volumes, hosts, keys, now: clock.now };
  return { volumes, hosts, keys, deps, stored };
}

/** Another volume's placement grabbing all free ssd capacity of `hostId`. */
async function stealAllOf(hosts: InMemoryHostRepository, hostId: string, n: number): Promise<void> {
  const ssd = (await hosts.get(hostId))?.capacity.ssd;
  if (!ssd) throw new Error(`host ${hostId} has no ssd tier to steal`);
  await hosts.reserve([
    {
      hostId,
      volumeId: `vol-${n.toString(16).padStart(17, 'f')}`,
      copyId: 'cpy-ffffffffffff',
      type: 'ssd',
      sizeGiB: ssd.capacityGiB - ssd.allocatedGiB,
      iops: 0,
    },
  ]);
}

/** The copies the create-copy commands ask the hosts to build. */
const copiesIn = (commands: readonly HostCommandRequest[]) =>
  commands.map((c) => ({ copyId: String(c.payload.copyId), hostId: c.hostId, role: c.payload.role as CopyRole }));

const allocatedGiB = async (hosts: InMemoryHostRepository, hostId: string) => (await hosts.get(hostId))?.capacity.ssd?.allocatedGiB;

describe('placeVolumeCopies', () => {
  test('when hosts have room, it records the two copies, reserves their capacity and returns a create-copy command per host', async () => {
    // Given
    const { volumes, hosts, deps, stored } = setUp([
      aHost({ hostId: 'host-a' }),
      aHost({ hostId: 'host-b' }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 900 }) } }),
    ]);
    // When
    const commands = await placeVolumeCopies(deps, stored.volumeId);
    // Then
    const placed = copiesIn(commands);
    expect(placed.map((c) => [c.hostId, c.role])).toEqual([
      ['host-a', 'primary'],
      ['host-b', 'mirror'],
    ]);
    for (const command of commands) {
      expect(command.type).toBe('create-copy');
      expect(command.payload).toMatchObject({ volumeId: stored.volumeId, sizeGiB: 100, type: 'ssd', iops: 3000, generation: 1 });
      expect(command.payload.copyId).toMatch(COPY_ID_PATTERN);
    }
    const saved = await volumes.get(stored.volumeId);
    expect(saved?.copies).toEqual(placed);
    expect(saved).toMatchObject({ status: 'creating', version: stored.version + 1, updatedAt: '2025-03-01T00:00:10.000Z' });
    expect(hosts.allReservations().map((r) => [r.hostId, r.copyId, r.sizeGiB, r.iops])).toEqual(
      placed.map((c) => [c.hostId, c.copyId, 100, 3000]),
    );
    expect((await hosts.get('host-a'))?.capacity.ssd).toMatchObject({ allocatedGiB: 100, allocatedIops: 3000 });
    expect(await allocatedGiB(hosts, 'host-c')).toBe(900);
  });

  test("when the copies are placed, the mirror's replication key is minted and stored sealed, and no command carries it", async () => {
    // Given
    const { volumes, keys, deps, stored } = setUp([aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })]);
    // When
    const commands = await placeVolumeCopies(deps, stored.volumeId);
    // Then
    const saved = (await volumes.get(stored.volumeId)) as Volume;
    const mirror = copiesIn(commands).find((c) => c.role === 'mirror')!;
    const key = await keys.open(stored.volumeId, saved.replicationKey!);
    expect(key.identity).toBe(`repl-${stored.volumeId.slice(4)}-${mirror.copyId.slice(4)}`);
    expect(JSON.stringify(saved)).not.toContain(key.keyHex);
    expect(JSON.stringify(commands)).not.toMatch(new RegExp(`${key.keyHex}|Key|ciphertext`));
  });

  test('when another placement takes a chosen host first, it chooses again and reserves on hosts that still have room', async () => {
    // Given
    const { volumes, hosts, deps, stored } = setUp([
      aHost({ hostId: 'host-a' }),
      aHost({ hostId: 'host-b' }),
      aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 500 }) } }),
    ]);
    hosts.interleaveBeforeReserve(() => stealAllOf(hosts, 'host-b', 1));
    // When
    const placed = copiesIn(await placeVolumeCopies(deps, stored.volumeId));
    // Then
    expect(hosts.reserveCalls).toBe(3); // ours (lost), the thief's, ours again
    expect(placed.map((c) => c.hostId)).toEqual(['host-a', 'host-c']);
    expect((await volumes.get(stored.volumeId))?.copies.map((c) => c.hostId)).toEqual(['host-a', 'host-c']);
    expect(hosts.allReservations().filter((r) => r.volumeId === stored.volumeId).map((r) => r.hostId)).toEqual(['host-a', 'host-c']);
    expect(await allocatedGiB(hosts, 'host-a')).toBe(100);
    expect(await allocatedGiB(hosts, 'host-c')).toBe(600);
  });

  test(`when it loses the race ${MAX_PLACEMENT_ATTEMPTS} times, it gives up with InsufficientCapacityError and holds nothing`, async () => {
    // Given: at every attempt, another placement fills the host our choice made primary
    const { hosts, deps, stored } = setUp(['host-a', 'host-b', 'host-c', 'host-d', 'host-e'].map((hostId) => aHost({ hostId })));
    let thefts = 0;
    hosts.interleaveBeforeReserve((ours) => stealAllOf(hosts, ours[0]?.hostId ?? 'none', ++thefts), MAX_PLACEMENT_ATTEMPTS);
    // When
    const act = placeVolumeCopies(deps, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InsufficientCapacityError);
    expect(thefts).toBe(MAX_PLACEMENT_ATTEMPTS);
    expect(hosts.reserveCalls).toBe(2 * MAX_PLACEMENT_ATTEMPTS);
    expect(hosts.allReservations().filter((r) => r.volumeId === stored.volumeId)).toEqual([]);
    expect(await allocatedGiB(hosts, 'host-d')).toBe(0);
    expect(await allocatedGiB(hosts, 'host-e')).toBe(0);
  });

  test('when fewer than two hosts can hold the volume, it throws InsufficientCapacityError and changes nothing', async () => {
    // Given
    const { volumes, hosts, deps, stored } = setUp([aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b', location: 'zone-b' })]);
    // When
    const act = placeVolumeCopies(deps, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InsufficientCapacityError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
    expect(hosts.allReservations()).toEqual([]);
  });

  test('when the volume is no longer creating, it throws InvalidStateError and reserves nothing', async () => {
    // Given
    const { hosts, deps, stored } = setUp([aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })], { status: 'deleting' });
    // When
    const act = placeVolumeCopies(deps, stored.volumeId);
    // Then
    await expect(act).rejects.toThrow(InvalidStateError);
    expect(hosts.allReservations()).toEqual([]);
  });

  test('when the volume does not exist, it throws NotFoundError', async () => {
    // Given
    const { deps } = setUp([aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })]);
    // When
    const act = placeVolumeCopies(deps, 'vol-0000000000000dead');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });

  test('when the task runs again for a placed volume, it replaces the first reservations instead of adding to them', async () => {
    // Given
    const { hosts, deps, stored } = setUp(['host-a', 'host-b', 'host-c', 'host-d'].map((hostId) => aHost({ hostId })));
    const first = copiesIn(await placeVolumeCopies(deps, stored.volumeId));
    // When
    const second = copiesIn(await placeVolumeCopies(deps, stored.volumeId));
    // Then
    const ours = hosts.allReservations().filter((r) => r.volumeId === stored.volumeId);
    expect(ours.map((r) => r.copyId).sort()).toEqual(second.map((c) => c.copyId).sort());
    expect(ours.map((r) => r.copyId)).not.toContain(first[0]?.copyId);
    const allocations = await Promise.all(['host-a', 'host-b', 'host-c', 'host-d'].map((id) => allocatedGiB(hosts, id)));
    expect(allocations.reduce((sum: number, gib) => sum + (gib ?? 0), 0)).toBe(200);
  });

  // BUG (pins the scenario "place-copies task retried after it already reserved the last free capacity"):
  // placeVolumeCopies chooses hosts *before* releasing the volume's own earlier reservations, so on a
  // fleet that only just fits the volume its own first attempt makes the retry fail with
  // InsufficientCapacityError although releasing first would leave exactly enough room.
  describe('BUG: place-copies retried on a fleet that only just fits', () => {
    test('when the task runs again for a volume that took the last free capacity, it places it again on the room it already holds', async () => {
      // Given: two hosts with room for exactly one copy each
      const tight = { ssd: capacity({ capacityGiB: 100, iopsCapacity: 3000 }) };
      const { hosts, deps, stored } = setUp([aHost({ hostId: 'host-a', capacity: tight }), aHost({ hostId: 'host-b', capacity: tight })]);
      await placeVolumeCopies(deps, stored.volumeId);
      // When
      const again = placeVolumeCopies(deps, stored.volumeId);
      // Then
      await expect(again).resolves.toHaveLength(2);
      expect(await allocatedGiB(hosts, 'host-a')).toBe(100);
      expect(await allocatedGiB(hosts, 'host-b')).toBe(100);
    });
  });
});
