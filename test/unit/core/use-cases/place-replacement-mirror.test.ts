import { InsufficientCapacityError, NotFoundError } from '../../../../core/errors';
import type { Host } from '../../../../core/host';
import { COPY_ID_PATTERN } from '../../../../core/ids';
import { placeMirrorReplacement, type PlaceReplacementMirrorDeps } from '../../../../core/use-cases/place-replacement-mirror';
import { reservationsFor } from '../../../../core/use-cases/place-volume-copies';
import type { Volume, VolumeCopy } from '../../../../core/volume';
import { aHost, aVolume, capacity } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { aSealedKey, FakeKeyVault } from '../../fakes/fake-key-vault';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const PRIMARY: VolumeCopy = { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', nbd: { address: '10.0.0.1', port: 10809, exportName: 'v' } };

async function setUp(hostList: readonly Host[], volume: Partial<Volume> = {}) {
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const clock = new FakeClock('2025-03-01T04:00:00.000Z');
  hostList.forEach((host) => hosts.put(host));
  const stored = volumes.put(aVolume({ status: 'degraded', generation: 5, copies: [PRIMARY], ...volume }));
  await hosts.reserve(reservationsFor(stored));
  const keys = new FakeKeyVault();
  const deps: PlaceReplacementMirrorDeps = { volumes, hosts, keys, now: clock.now };
  return { volumes, hosts, keys, deps, stored };
}

const fleet = () => [
  aHost({ hostId: 'host-a' }),
  aHost({ hostId: 'host-b' }),
  aHost({ hostId: 'host-c', capacity: { ssd: capacity({ allocatedGiB: 400 }) } }),
  aHost({ hostId: 'host-d', capacity: { ssd: capacity({ allocatedGiB: 200 }) } }),
];

/** The create-copy command of a placement that placed a mirror. */
async function placedCommand(...args: Parameters<typeof placeMirrorReplacement>) {
  const placed = await placeMirrorReplacement(...args);
  if (!('command' in placed)) throw new Error(`nothing placed: volume is ${placed.notServed.status}`);
  return placed.command;
}

describe('placeMirrorReplacement', () => {
  test("when hosts have room, it places the mirror on the least utilised host that is neither the primary's nor the lost one", async () => {
    // Given: host-b (the lost host) is the emptiest
    const { volumes, hosts, deps, stored } = await setUp(fleet());
    // When
    const command = await placedCommand(deps, stored.volumeId, 'host-b');
    // Then
    expect(command.hostId).toBe('host-d');
    expect(command.type).toBe('create-copy');
    expect(command.payload).toMatchObject({ volumeId: stored.volumeId, role: 'mirror', generation: 5 });
    expect(JSON.stringify(command)).not.toMatch(/Key|ciphertext/);
    expect(command.payload.copyId).toMatch(COPY_ID_PATTERN);
    const saved = await volumes.get(stored.volumeId);
    expect(saved?.copies).toEqual([PRIMARY, { copyId: command.payload.copyId, hostId: 'host-d', role: 'mirror' }]);
    expect((await hosts.reservationsOf('host-d')).map((r) => r.copyId)).toEqual([command.payload.copyId]);
    expect(await hosts.reservationsOf('host-a')).toHaveLength(1);
  });

  test('when a new mirror is placed, it gets a replication key of its own, never the one of the mirror it replaces', async () => {
    // Given
    const volumeId = 'vol-0000000000000beef';
    const old = aSealedKey(volumeId, 'repl-old', 'b'.repeat(64));
    const { volumes, keys, deps } = await setUp(fleet(), { volumeId, replicationKey: old });
    // When
    const command = await placedCommand(deps, volumeId, 'host-b');
    // Then
    const saved = (await volumes.get(volumeId)) as Volume;
    const key = await keys.open(volumeId, saved.replicationKey!);
    expect(key.identity).toBe(`repl-${volumeId.slice(4)}-${String(command.payload.copyId).slice(4)}`);
    expect(key.keyHex).not.toBe('b'.repeat(64));
  });

  test('when another placement takes the chosen host first, it chooses again', async () => {
    // Given
    const { hosts, deps, stored } = await setUp(fleet());
    hosts.interleaveBeforeReserve(async () => {
      await hosts.reserve([{ hostId: 'host-d', volumeId: 'vol-fffffffffffffffff', copyId: 'cpy-ffffffffffff', type: 'ssd', sizeGiB: 800, iops: 0 }]);
    });
    // When
    const command = await placedCommand(deps, stored.volumeId, 'host-b');
    // Then
    expect(command.hostId).toBe('host-c');
    expect(hosts.allReservations().filter((r) => r.volumeId === stored.volumeId).map((r) => r.hostId).sort()).toEqual(['host-a', 'host-c']);
  });

  test('when no other host has room, it throws InsufficientCapacityError and reserves nothing', async () => {
    // Given
    const { hosts, deps, stored } = await setUp([aHost({ hostId: 'host-a' }), aHost({ hostId: 'host-b' })]);
    // When
    const act = placeMirrorReplacement(deps, stored.volumeId, 'host-b');
    // Then
    await expect(act).rejects.toThrow(InsufficientCapacityError);
    expect(await hosts.reservationsOf('host-b')).toEqual([]);
  });

  test('when the volume does not exist, it throws NotFoundError', async () => {
    // Given
    const { deps } = await setUp(fleet());
    // When
    const act = placeMirrorReplacement(deps, 'vol-0000000000000dead', 'host-b');
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });

  // BUG (pins the scenario "place-replacement-mirror task retried after it already reserved"):
  // a re-run drops the mirror the first run planned from the volume's copies without releasing its
  // reservation (placeVolumeCopies releases first; this use case does not), so the first mirror's
  // capacity stays promised on its host forever and no volume copy refers to it.
  describe('BUG: place-replacement-mirror retried leaks the first reservation', () => {
    test('when the task runs again, every reservation of the volume belongs to one of its copies', async () => {
      // Given
      const { volumes, hosts, deps, stored } = await setUp(fleet());
      await placeMirrorReplacement(deps, stored.volumeId, 'host-b');
      // When
      await placeMirrorReplacement(deps, stored.volumeId, 'host-b');
      // Then
      const copyIds = ((await volumes.get(stored.volumeId))?.copies ?? []).map((c) => c.copyId).sort();
      const reserved = hosts.allReservations().filter((r) => r.volumeId === stored.volumeId).map((r) => r.copyId).sort();
      expect(reserved).toEqual(copyIds);
    });
  });

  test('when the volume is being deleted (or was deleted) meanwhile, it places and reserves nothing', async () => {
    // Given: the volume's delete began while the rebuild waited for a host
    for (const status of ['deleting', 'deleted'] as const) {
      const { volumes, hosts, deps, stored } = await setUp(fleet(), { status });
      // When
      const placed = await placeMirrorReplacement(deps, stored.volumeId, 'host-b');
      // Then
      expect(placed).toEqual({ notServed: expect.objectContaining({ status }) });
      expect((await volumes.get(stored.volumeId))?.copies).toEqual([PRIMARY]);
      expect(hosts.allReservations().filter((r) => r.volumeId === stored.volumeId).map((r) => r.hostId)).toEqual(['host-a']);
    }
  });
});
