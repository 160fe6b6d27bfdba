import { FakeKeyVault } from '../../fakes/fake-key-vault';
import { REBUILD_RETRY, rebuildDelaySeconds } from '../../../../core/rebuild-backoff';
import { attemptMirrorRebuild, type AttemptMirrorRebuildDeps } from '../../../../core/use-cases/attempt-mirror-rebuild';
import { reservationsFor } from '../../../../core/use-cases/place-volume-copies';
import type { VolumeCopy } from '../../../../core/volume';
import { aHost, aVolume } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const OWNER = 'failover-cpy-0000000000bb-v3';
const PRIMARY: VolumeCopy = { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', nbd: { address: '10.0.0.1', port: 10809, exportName: 'v' } };

async function setUp(hostIds: readonly string[], copies: readonly VolumeCopy[] = [PRIMARY]) {
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const commands = new InMemoryHostCommandQueue();
  const clock = new FakeClock('2025-03-01T06:00:00.000Z');
  for (const hostId of hostIds) hosts.put(aHost({ hostId }));
  const stored = volumes.put(aVolume({ status: 'degraded', statusReason: 'mirror copy lost', copies }));
  await hosts.reserve(reservationsFor(stored));
  const deps: AttemptMirrorRebuildDeps = { volumes, hosts, commands, keys: new FakeKeyVault(), now: clock.now };
  return { volumes, hosts, commands, deps, stored };
}

describe('attemptMirrorRebuild', () => {
  test('when no host can take the mirror, it answers retry with the backoff and the volume says it is waiting', async () => {
    // Given: only the primary's host and the lost host exist
    const { volumes, deps, stored } = await setUp(['host-a', 'host-b']);
    // When
    const attempt = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 3, firstAttempt: 1, attemptsPerExecution: REBUILD_RETRY.attemptsPerExecution, owner: OWNER });
    // Then
    expect(attempt).toMatchObject({ outcome: 'retry', attempt: 3, retryAfterSeconds: 20 });
    const saved = await volumes.get(stored.volumeId);
    expect(saved?.status).toBe('degraded');
    expect(saved?.statusReason).toMatch(/^rebuilding the mirror is waiting: no other active host .*; trying again in 20 s \(attempt 3\)$/);
  });

  test('when a host appeared, it places the mirror there and tells the host of an abandoned earlier mirror to delete it', async () => {
    // Given: an earlier attempt left a mirror on host-c, which failed to build
    const abandoned: VolumeCopy = { copyId: 'cpy-0000000000cc', hostId: 'host-c', role: 'mirror' };
    const { hosts, commands, deps, stored } = await setUp(['host-a', 'host-b', 'host-c', 'host-d'], [PRIMARY, abandoned]);
    // When
    const attempt = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 2, firstAttempt: 1, attemptsPerExecution: REBUILD_RETRY.attemptsPerExecution, owner: OWNER });
    // Then
    expect(attempt.outcome).toBe('placed');
    expect(commands.all().map((c) => [c.hostId, c.type, c.payload.copyId])).toEqual([['host-c', 'delete-copy', abandoned.copyId]]);
    expect(await hosts.reservationsOf('host-c')).toHaveLength(attempt.outcome === 'placed' && attempt.command.hostId === 'host-c' ? 1 : 0);
  });

  // Pins issue 7: a rebuild was given up after 1,000 attempts (about 16 h) and nothing re-triggered it.
  test("when an execution has made its share of attempts, the next one is handed to a new execution, which goes on placing", async () => {
    // Given
    const { deps, stored, commands } = await setUp(['host-a', 'host-b', 'host-c']);
    // When
    const handed = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 4, firstAttempt: 1, attemptsPerExecution: 3, owner: OWNER });
    const continued = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 4, firstAttempt: 4, attemptsPerExecution: 3, owner: OWNER });
    const muchLater = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 100_000, firstAttempt: 99_999, attemptsPerExecution: 3, owner: OWNER });
    // Then
    expect(handed).toMatchObject({ outcome: 'continue', attempt: 4, retryAfterSeconds: 40 });
    expect(continued.outcome).toBe('placed');
    expect(muchLater.outcome).not.toBe('continue');
    expect(commands.all().filter((c) => c.type === 'create-copy')).toHaveLength(0);
  });

  // Two rebuilds of one volume (the never-ending one begun when the mirror's host was lost, and the
  // one an owner's enable begins) deleted each other's mirrors as their own leftovers.
  test('when a second rebuild begins, the first one ends at its next attempt and leaves the second one\'s mirror alone', async () => {
    // Given: the first rebuild placed a mirror
    const { volumes, commands, deps, stored } = await setUp(['host-a', 'host-b', 'host-c', 'host-d']);
    const first = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 1, firstAttempt: 1, attemptsPerExecution: 3, owner: 'failover-first' });
    // When: a second rebuild begins, then the first one tries again
    const second = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 1, firstAttempt: 1, attemptsPerExecution: 3, owner: 'failover-second' });
    const mirrorOfSecond = (await volumes.get(stored.volumeId))!.copies.find((copy) => copy.role === 'mirror');
    const sent = commands.all().length;
    const firstAgain = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 2, firstAttempt: 1, attemptsPerExecution: 3, owner: 'failover-first' });
    const afterFirstAgain = commands.all().length;
    const secondAgain = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 2, firstAttempt: 1, attemptsPerExecution: 3, owner: 'failover-second' });
    // Then
    expect([first.outcome, second.outcome]).toEqual(['placed', 'placed']);
    expect(firstAgain).toMatchObject({ outcome: 'superseded', reason: expect.stringContaining('failover-second') });
    expect(afterFirstAgain).toBe(sent);
    expect(secondAgain.outcome).toBe('placed');
    expect((await volumes.get(stored.volumeId))!.rebuildOwner).toBe('failover-second');
    // The superseded attempt sent nothing: the only delete of the second's mirror is the second's own retry.
    expect(commands.all().filter((c) => c.type === 'delete-copy' && c.payload.copyId === mirrorOfSecond!.copyId)).toHaveLength(1);
  });

  test('when a rebuild is continued in a new execution under its first name, it is still the owner', async () => {
    const { deps, stored } = await setUp(['host-a', 'host-b', 'host-c']);
    await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 1, firstAttempt: 1, attemptsPerExecution: 3, owner: OWNER });
    const continued = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 4, firstAttempt: 4, attemptsPerExecution: 3, owner: OWNER });
    expect(continued.outcome).toBe('placed');
  });

  test('the backoff doubles from 5 s and stays at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 500].map(rebuildDelaySeconds)).toEqual([5, 10, 20, 40, 60, 60, 60]);
  });

  // Seen on the fleet (2026-12-03): a rebuild waiting for a host went on after the volume was
  // deleted, and when a host came back it reserved and built a mirror that no record released.
  test('when the volume was deleted while the rebuild waited, the next attempt ends the rebuild and places nothing', async () => {
    // Given: a rebuild that is waiting (no host had room), then the volume is deleted
    const { volumes, hosts, commands, deps, stored } = await setUp(['host-a', 'host-b']);
    await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 1, firstAttempt: 1, attemptsPerExecution: 3, owner: OWNER });
    const waiting = (await volumes.get(stored.volumeId))!;
    volumes.put({ ...waiting, status: 'deleted', version: waiting.version + 1 });
    hosts.put(aHost({ hostId: 'host-c' }));
    // When: the next attempt, now that a host has room
    const attempt = await attemptMirrorRebuild(deps, stored.volumeId, 'host-b', { attempt: 2, firstAttempt: 1, attemptsPerExecution: 3, owner: OWNER });
    // Then
    expect(attempt).toMatchObject({ outcome: 'ended', reason: expect.stringContaining('is deleted') });
    expect(await hosts.reservationsOf('host-c')).toHaveLength(0);
    expect(commands.all().filter((c) => c.type === 'create-copy')).toHaveLength(0);
  });
});
