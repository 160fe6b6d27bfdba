import type { ModificationWorkflows } from '../../../../core/modification-ports';
import { advanceModification } from '../../../../core/use-cases/advance-modification';
import type { NextAction } from '../../../../core/use-cases/finish-modification';
import { cancelModification } from '../../../../core/use-cases/cancel-modification';
import { failModification, failReServe } from '../../../../core/use-cases/fail-modification';
import { requestModification } from '../../../../core/use-cases/request-modification';
import type { Volume } from '../../../../core/volume';
import { aHost, aVolume, capacity, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryModificationRepository } from '../../fakes/in-memory-modification-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

class RecordingModificationWorkflows implements ModificationWorkflows {
  readonly started: string[] = [];
  async startModification(_volumeId: string, modificationId: string): Promise<void> {
    this.started.push(modificationId);
  }
}

function setUp() {
  const clock = new FakeClock();
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const modifications = new InMemoryModificationRepository();
  const commands = new InMemoryHostCommandQueue();
  const workflows = new RecordingModificationWorkflows();
  const deps = { volumes, hosts, modifications, commands, workflows, now: clock.now };
  for (const hostId of ['host-a', 'host-b', 'host-c']) hosts.put(aHost({ hostId, capacity: { ssd: capacity(), hdd: capacity() } }));
  const volume = volumes.put(
    aVolume({
      status: 'available',
      copies: [
        { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 1, nbd: { address: '10.0.0.1', port: 1, exportName: 'a' } },
        { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 1, nbd: { address: '10.0.0.2', port: 1, exportName: 'b' } },
      ],
    }),
  );
  return { deps, volume, volumes, hosts, modifications, commands, workflows };
}

type Deps = ReturnType<typeof setUp>['deps'];

async function reserveCurrent(deps: Deps, volume: Volume) {
  await deps.hosts.reserve(volume.copies.map((copy) => ({ hostId: copy.hostId, volumeId: volume.volumeId, copyId: copy.copyId, type: volume.type, sizeGiB: volume.sizeGiB, iops: volume.iops })));
}

/** Runs the workflow loop with every host answering as an agent would; returns the command types in order. */
async function runWorkflow(deps: Deps, volumeId: string, modificationId: string, until?: (next: NextAction) => boolean) {
  const sent: string[] = [];
  let next = await advanceModification(deps, volumeId, modificationId, undefined);
  while (next.action === 'command' && !until?.(next)) {
    sent.push(`${next.command.type}@${next.command.hostId}`);
    const result =
      next.command.type === 'create-copy'
        ? { copyId: next.command.payload.copyId, nbd: { address: '10.0.0.9', port: 2, exportName: 'c' } }
        : next.command.type === 'end-chain'
          ? { copyId: next.command.payload.copyId, inSync: true }
          : next.command.type === 'promote-copy'
            ? { copyId: next.command.payload.copyId, nbd: { address: '10.0.0.9', port: 2, exportName: volumeId } }
            : {};
    next = await advanceModification(deps, volumeId, next.modificationId, { commandId: next.command.commandId, result });
  }
  return { sent, next };
}

describe('a modification from request to end', () => {
  test('an in-place grow runs quiesce, resize mirror, resize primary; the volume takes the size and is in-use again with reservations grown', async () => {
    const { deps, volume, hosts, modifications } = setUp();
    await reserveCurrent(deps, volume);
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { sizeGiB: 200 });
    if (outcome.dryRun) throw new Error('not a dry run');
    expect((await deps.volumes.get(volume.volumeId))?.status).toBe('modifying');
    const { sent, next } = await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId);
    expect(sent).toEqual(['quiesce-replication@host-a', 'resize-copy@host-b', 'resize-copy@host-a']);
    expect(next).toEqual({ action: 'done', modificationId: outcome.modification.modificationId, status: 'completed' });
    const after = await deps.volumes.get(volume.volumeId);
    expect(after).toMatchObject({ status: 'available', sizeGiB: 200, modificationId: undefined });
    expect(hosts.allReservations().map((r) => r.sizeGiB)).toEqual([200, 200]);
    expect(modifications.all()[0]).toMatchObject({ status: 'completed', stepsDone: 3 });
  });

  test('a type change migrates both copies through the chain and cutover, then deletes the old ones', async () => {
    const { deps, volume, hosts } = setUp();
    await reserveCurrent(deps, volume);
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { type: 'hdd', iops: 500 });
    if (outcome.dryRun) throw new Error('not a dry run');
    const { sent } = await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId);
    expect(sent).toEqual([
      'create-copy@host-a', 'extend-chain@host-b', 'quiesce-replication@host-a', 'end-chain@host-b', 'promote-copy@host-a', 'start-replication@host-a',
      'create-copy@host-b', 'extend-chain@host-b', 'quiesce-replication@host-a', 'end-chain@host-b', 'resize-copy@host-a',
      'delete-copy@host-a', 'delete-copy@host-b',
    ]);
    const after = await deps.volumes.get(volume.volumeId);
    // One generation step: the primary moved once; the mirror's move changes no primary
    expect(after).toMatchObject({ status: 'available', type: 'hdd', iops: 500, generation: 2 });
    expect(after?.copies.map((copy) => copy.role).sort()).toEqual(['mirror', 'primary']);
    expect(after?.copies.every((copy) => copy.inSync && copy.inSyncGeneration === 2)).toBe(true);
    // Clients are sent to the promoted copy's client export, not the replication export it was filled through
    expect(after?.copies.find((copy) => copy.role === 'primary')?.nbd?.exportName).toBe(volume.volumeId);
    expect(hosts.allReservations().map((r) => `${r.hostId}:${r.type}`).sort()).toEqual(['host-a:hdd', 'host-b:hdd']);
  });

  test('a cancel mid-fill rolls back: the filling copy is deleted and released, the volume is exactly as before', async () => {
    const { deps, volume, hosts, commands } = setUp();
    await reserveCurrent(deps, volume);
    const before = hosts.all();
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { type: 'hdd', iops: 500 });
    if (outcome.dryRun) throw new Error('not a dry run');
    const { next } = await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId, (step) => step.action === 'command' && step.command.type === 'extend-chain');
    await cancelModification(deps, TENANT, volume.volumeId, outcome.modification.modificationId);
    if (next.action !== 'command') throw new Error('expected the fill to be running');
    const ended = await advanceModification(deps, volume.volumeId, next.modificationId, { commandId: next.command.commandId, result: {} });
    expect(ended).toMatchObject({ action: 'done', status: 'cancelled' });
    const after = await deps.volumes.get(volume.volumeId);
    expect({ ...after, version: 0, updatedAt: '' }).toEqual({ ...volume, version: 0, updatedAt: '', modificationId: undefined, queuedModificationId: undefined, statusReason: undefined });
    expect(hosts.all().map((host) => host.capacity)).toEqual(before.map((host) => host.capacity));
    expect(commands.all().filter((command) => command.type === 'delete-copy').map((command) => command.hostId)).toEqual(['host-a']);
  });

  test('a request before the cutover is merged and re-planned; one after it is queued and runs next in the same workflow', async () => {
    const { deps, volume, modifications } = setUp();
    await reserveCurrent(deps, volume);
    const first = await requestModification(deps, TENANT, volume.volumeId, { iops: 6000 });
    if (first.dryRun) throw new Error('not a dry run');
    const merged = await requestModification(deps, TENANT, volume.volumeId, { sizeGiB: 150 });
    expect(merged).toMatchObject({ modification: { modificationId: first.modification.modificationId, target: { iops: 6000, sizeGiB: 150 } } });
    const { sent, next } = await runWorkflow(deps, volume.volumeId, first.modification.modificationId, (step) => step.action === 'command' && step.command.type === 'resize-copy');
    expect(sent).toEqual(['set-iops@host-a', 'quiesce-replication@host-a']);
    const queued = await requestModification(deps, TENANT, volume.volumeId, { iops: 7000 });
    if (queued.dryRun || next.action !== 'command') throw new Error('unexpected');
    expect(queued.modification).toMatchObject({ queuedBehind: first.modification.modificationId, coalesced: [{ outcome: 'queued' }] });
    await expect(cancelModification(deps, TENANT, volume.volumeId, first.modification.modificationId)).rejects.toThrow(/past its cutover/);
    let step: NextAction = await advanceModification(deps, volume.volumeId, next.modificationId, { commandId: next.command.commandId, result: {} });
    while (step.action === 'command') step = await advanceModification(deps, volume.volumeId, step.modificationId, { commandId: step.command.commandId, result: {} });
    expect(step).toEqual({ action: 'continue', modificationId: queued.modification.modificationId });
    const rest = await runWorkflow(deps, volume.volumeId, queued.modification.modificationId);
    expect(rest.sent).toEqual(['set-iops@host-a']);
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', sizeGiB: 150, iops: 7000 });
    expect(modifications.all().find((m) => m.modificationId === first.modification.modificationId)?.coalesced).toEqual([expect.objectContaining({ outcome: 'merged' })]);
  });

  test('a dry run answers the plan and writes nothing', async () => {
    const { deps, volume, volumes, modifications } = setUp();
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { type: 'hdd', dryRun: true });
    expect(outcome).toMatchObject({ dryRun: true, plan: { kind: 'migrate' }, target: { type: 'hdd', iops: 100 } });
    expect(modifications.all()).toEqual([]);
    expect(await volumes.get(volume.volumeId)).toEqual(volume);
  });

  test('a failed step rolls back before the cutover and records the cause', async () => {
    const { deps, volume, hosts } = setUp();
    await reserveCurrent(deps, volume);
    const before = hosts.all().map((host) => host.capacity);
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { location: 'zone-a', type: 'hdd', iops: 500 });
    if (outcome.dryRun) throw new Error('not a dry run');
    await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId, (step) => step.action === 'command' && step.command.type === 'extend-chain');
    await failModification(deps, volume.volumeId, outcome.modification.modificationId, 'host-b: ChainFailed (States.TaskFailed)');
    expect((await deps.modifications.get(volume.volumeId, outcome.modification.modificationId))?.statusReason).toMatch(/failed at step extend-chain on host host-b: host-b: ChainFailed/);
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', type: 'ssd', copies: volume.copies });
    expect(hosts.all().map((host) => host.capacity)).toEqual(before);
  });

  test('a repeated clientToken answers the first modification; other parameters with it are refused', async () => {
    const { deps, volume, modifications } = setUp();
    const first = await requestModification(deps, TENANT, volume.volumeId, { iops: 6000, clientToken: 't1' });
    const again = await requestModification(deps, TENANT, volume.volumeId, { iops: 6000, clientToken: 't1' });
    expect(again).toEqual(first);
    await expect(requestModification(deps, TENANT, volume.volumeId, { iops: 7000, clientToken: 't1' })).rejects.toThrow(/already used/);
    expect(modifications.all()).toHaveLength(1);
  });

  test('a request after the modification ended but before it handed the volume on queues behind it instead of merging into the ended one', async () => {
    const { deps, volume, modifications } = setUp();
    await reserveCurrent(deps, volume);
    const first = await requestModification(deps, TENANT, volume.volumeId, { iops: 6000 });
    if (first.dryRun) throw new Error('not a dry run');
    // The workflow recorded the end (cancelled before anything ran) but has not yet written the volume.
    const stored = await modifications.get(volume.volumeId, first.modification.modificationId);
    if (!stored) throw new Error('missing');
    await modifications.save({ ...stored, status: 'cancelled', endedAt: stored.startedAt, version: stored.version + 1 });
    const next = await requestModification(deps, TENANT, volume.volumeId, { sizeGiB: 150 });
    if (next.dryRun) throw new Error('not a dry run');
    expect(next.modification.modificationId).not.toBe(first.modification.modificationId);
    expect(next.modification).toMatchObject({ queuedBehind: first.modification.modificationId, original: { iops: 3000, sizeGiB: 100 }, target: { iops: 3000, sizeGiB: 150 } });
  });
});

describe('a modification that fails while the primary is quiesced (docs/modification.md, "Cancel and failure")', () => {
  const A = 'cpy-00000000000a';
  const B = { hostId: 'host-b', copyId: 'cpy-00000000000b', address: '10.0.0.2', port: 1, exportName: 'b' };

  /** Runs the workflow until the `nth` command of `type` is returned (not answered), then fails the modification as the workflow's Catch does. */
  async function failAt(request: Parameters<typeof requestModification>[3], type: string, nth = 1) {
    const context = setUp();
    const { deps, volume } = context;
    await reserveCurrent(deps, volume);
    const outcome = await requestModification(deps, TENANT, volume.volumeId, request);
    if (outcome.dryRun) throw new Error('not a dry run');
    let seen = 0;
    const { sent, next } = await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId, (step) => {
      if (step.action === 'command' && step.command.type === type) seen += 1;
      return seen === nth;
    });
    if (next.action !== 'command') throw new Error(`the workflow ended before ${type} #${nth}`);
    const modificationId = outcome.modification.modificationId;
    const ended = await failModification(deps, volume.volumeId, modificationId, `${next.command.hostId}: HostTaskStalled (no progress)`);
    const modification = await deps.modifications.get(volume.volumeId, modificationId);
    // The Catch returns the command to serve again for the workflow to send (`Wait for re-serve`); the rollback itself sends none
    expect(context.commands.all().filter((command) => command.type === 'resize-copy')).toEqual([]);
    const reServes = ended.action === 'command' ? [ended.command] : [];
    /** The host answers the command to serve again, and the workflow brings the answer to `Advance modification`. */
    const answerReServe = () => {
      if (ended.action !== 'command') throw new Error('no command to serve again');
      return advanceModification(deps, volume.volumeId, modificationId, { commandId: ended.command.commandId, result: { copyId: ended.command.payload.copyId, sizeGiB: ended.command.payload.sizeGiB } });
    };
    return { ...context, sent, failed: next.command, ended, modification, modificationId, reServes, answerReServe };
  }

  test('when an in-place grow fails at the mirror\'s resize, it tells the primary to serve again at the current size, mirroring to the in-sync mirror', async () => {
    // Given a grow whose quiesce answered and whose mirror resize never did
    // When the workflow's Catch fails the modification
    const { volume, deps, reServes, modification, modificationId, failed, answerReServe } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    // Then the primary gets resize-copy at its size with the mirror it replicated to
    expect(failed.hostId).toBe('host-b');
    expect(reServes.map((command) => ({ hostId: command.hostId, payload: command.payload }))).toEqual([
      { hostId: 'host-a', payload: { volumeId: volume.volumeId, copyId: A, generation: 1, sizeGiB: 100, mirror: B } },
    ]);
    // And until the host answers it, the modification is not over and the volume is not shown available (nothing serves its clients)
    expect(modification).toMatchObject({ status: 'modifying', reServe: { hostId: 'host-a', copyId: A, command: { commandId: reServes[0].commandId } } });
    expect(modification?.statusReason).toMatch(/at step resize-mirror on host host-b: .*; rolling back: the quiesced primary cpy-00000000000a on host host-a is told to serve again/);
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'modifying', modificationId });
    // When the host answers it, the modification ends failed with its cause and the volume is as before
    expect(await answerReServe()).toMatchObject({ action: 'done', status: 'failed' });
    expect((await deps.modifications.get(volume.volumeId, modificationId))?.statusReason).toMatch(
      /at step resize-mirror on host host-b: .*; the quiesced primary cpy-00000000000a on host host-a serves again$/,
    );
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', sizeGiB: 100, generation: 1, copies: volume.copies, modificationId: undefined });
  });

  test('when the command to serve again fails (or is not answered in time), the modification fails saying so and the volume goes to error: its primary serves no client', async () => {
    // Given a grow whose mirror resize failed, and the primary told to serve again
    const { volume, deps, modificationId } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    // When that command fails too (the workflow's `Re-serve failed`)
    const ended = await failReServe(deps, volume.volumeId, modificationId, 'host-a: MirrorSyncFailed (the mirror cannot be reached)');
    // Then
    expect(ended).toEqual({ action: 'done', modificationId, status: 'failed' });
    expect((await deps.modifications.get(volume.volumeId, modificationId))?.statusReason).toMatch(
      /at step resize-mirror on host host-b: .*; the quiesced primary cpy-00000000000a on host host-a did not serve again: host-a: MirrorSyncFailed/,
    );
    const after = await deps.volumes.get(volume.volumeId);
    expect(after).toMatchObject({ status: 'error', modificationId: undefined, copies: volume.copies });
    expect(after?.statusReason).toMatch(new RegExp(`modification ${modificationId} failed and the quiesced primary ${A} on host host-a did not serve again`));
    // And a second `Re-serve failed` (a retried task) changes nothing more
    expect(await failReServe(deps, volume.volumeId, modificationId, 'again')).toEqual({ action: 'done', modificationId, status: 'failed' });
  });

  test('when a grow\'s mirror grew without answering, the primary asked at the current size finds a larger mirror: it is asked once more at the target size, and that answer ends the modification', async () => {
    // Given a grow whose mirror resize did not answer (it did grow), and the primary told to serve again at 100 GiB
    const { volume, deps, modificationId, reServes } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    expect(reServes[0].payload.sizeGiB).toBe(100);
    // When the primary refuses: its mirror is larger
    const again = await failReServe(deps, volume.volumeId, modificationId, 'MirrorTargetSizeMismatch: host host-a failed resize-copy: mirror target has 214748364800 bytes');
    // Then it is asked at 200 GiB, with the same mirror, under a new id
    if (again.action !== 'command') throw new Error(`expected the command again, got ${JSON.stringify(again)}`);
    expect(again.command).toMatchObject({ hostId: 'host-a', type: 'resize-copy', payload: { ...reServes[0].payload, sizeGiB: 200 } });
    expect(again.command.commandId).not.toBe(reServes[0].commandId);
    // And a second refusal of that size ends the modification (no loop)
    expect(await failReServe(deps, volume.volumeId, modificationId, 'MirrorTargetSizeMismatch: host host-a failed resize-copy: again')).toMatchObject({ action: 'done', status: 'failed' });
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'error' });
  });

  test('a re-serve is sent 3 times at most: a workflow that keeps failing around it (the Catch again and again) ends the modification instead of looping', async () => {
    const { volume, deps, modificationId } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    const sends = [await failModification(deps, volume.volumeId, modificationId, 'again'), await failModification(deps, volume.volumeId, modificationId, 'again')];
    expect(sends.map((next) => next.action)).toEqual(['command', 'command']);
    expect(await failModification(deps, volume.volumeId, modificationId, 'again')).toMatchObject({ action: 'done', status: 'failed' });
    expect((await deps.modifications.get(volume.volumeId, modificationId))?.statusReason).toMatch(/did not serve again: sent 3 times without an answer the workflow could record/);
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'error' });
  });

  test('when the command to serve again fails after fail-over took the volume (degraded), the volume stays with fail-over', async () => {
    const { volume, deps, modificationId } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    const current = await deps.volumes.get(volume.volumeId);
    if (!current) throw new Error('missing');
    await deps.volumes.save({ ...current, status: 'degraded', statusReason: 'host host-a lost', version: current.version + 1 });
    await failReServe(deps, volume.volumeId, modificationId, 'host-a: States.HeartbeatTimeout');
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'degraded', statusReason: 'host host-a lost' });
    expect(await deps.modifications.get(volume.volumeId, modificationId)).toMatchObject({ status: 'failed' });
  });

  test('when the command to serve again fails, a modification queued behind the failed one ends too: it would start on a volume nobody serves', async () => {
    const { volume, deps, modificationId } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    const queued = await requestModification(deps, TENANT, volume.volumeId, { iops: 6000 });
    if (queued.dryRun) throw new Error('not a dry run');
    expect(queued.modification.queuedBehind).toBe(modificationId);
    await failReServe(deps, volume.volumeId, modificationId, 'host-a: DiskFull');
    expect(await deps.modifications.get(volume.volumeId, queued.modification.modificationId)).toMatchObject({
      status: 'failed',
      statusReason: expect.stringMatching(new RegExp(`^not started: modification ${modificationId} failed before it and the quiesced primary`)),
    });
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'error', queuedModificationId: undefined });
  });

  test('a step answer that is not the awaited command to serve again is refused (the workflow waits for that one only)', async () => {
    const { volume, deps, modificationId } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    await expect(advanceModification(deps, volume.volumeId, modificationId, { commandId: 'cmd-other', result: {} })).rejects.toThrow(/waits for the answer to cmd-/);
    expect(await deps.modifications.get(volume.volumeId, modificationId)).toMatchObject({ status: 'modifying' });
  });

  test('when an in-place grow fails at the quiesce itself, it tells the primary to serve again (a quiesce that did not happen makes the command a no-op)', async () => {
    const { reServes, failed } = await failAt({ sizeGiB: 200 }, 'quiesce-replication');
    expect(failed.hostId).toBe('host-a');
    expect(reServes.map((command) => [command.hostId, command.payload.sizeGiB])).toEqual([['host-a', 100]]);
  });

  test('when an in-place grow fails at the primary\'s resize, it asks for the primary at the target size: the mirror already grew, and QEMU mirrors only equal sizes', async () => {
    const { volume, deps, reServes, answerReServe } = await failAt({ sizeGiB: 200 }, 'resize-copy', 2);
    expect(reServes.map((command) => ({ hostId: command.hostId, payload: command.payload }))).toEqual([
      { hostId: 'host-a', payload: { volumeId: volume.volumeId, copyId: A, generation: 1, sizeGiB: 200, mirror: B } },
    ]);
    await answerReServe();
    // The record keeps the original size until `optimizing` (docs/modification.md, "Limits")
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', sizeGiB: 100, copies: volume.copies });
  });

  test('when a primary move fails at end-chain, the filling copy is deleted and the old primary serves again at the current generation, to the mirror\'s export of that generation', async () => {
    // Given a type change whose chain was extended and whose primary was quiesced; end-chain (cutover to generation 2) never answered
    const { volume, deps, reServes, commands, sent, answerReServe } = await failAt({ type: 'hdd', iops: 500 }, 'end-chain');
    expect(sent).toEqual(['create-copy@host-a', 'extend-chain@host-b', 'quiesce-replication@host-a']);
    // Then A serves again at generation 1 with B, which the record still counts in sync at 1; the new copy C is gone
    expect(reServes.map((command) => ({ hostId: command.hostId, payload: command.payload }))).toEqual([
      { hostId: 'host-a', payload: { volumeId: volume.volumeId, copyId: A, generation: 1, sizeGiB: 100, mirror: B } },
    ]);
    const deleted = commands.all().filter((command) => command.type === 'delete-copy');
    expect(deleted.map((command) => command.payload.copyId)).not.toContain(A);
    expect(deleted).toHaveLength(1);
    await answerReServe();
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', type: 'ssd', generation: 1, copies: volume.copies });
  });

  test('when a primary move fails at its quiesce, the old primary is told to serve again', async () => {
    const { reServes } = await failAt({ type: 'hdd', iops: 500 }, 'quiesce-replication');
    expect(reServes.map((command) => [command.hostId, command.payload.copyId, command.payload.generation])).toEqual([['host-a', A, 1]]);
  });

  test('when a mirror move fails at end-chain, the primary of that moment serves again with the old mirror, which the move never changed', async () => {
    // Given the second round of a type change: the promoted copy is primary at generation 2, B its mirror in sync at 2
    const { volume, deps, reServes, sent, answerReServe } = await failAt({ type: 'hdd', iops: 500 }, 'end-chain', 2);
    expect(sent.slice(-3)).toEqual(['create-copy@host-b', 'extend-chain@host-b', 'quiesce-replication@host-a']);
    const recorded = await deps.volumes.get(volume.volumeId);
    const primary = recorded?.copies.find((copy) => copy.role === 'primary');
    // Then that primary gets resize-copy at generation 2 with B as its mirror; B stays the mirror, in sync
    expect(reServes.map((command) => ({ hostId: command.hostId, payload: command.payload }))).toEqual([
      { hostId: 'host-a', payload: { volumeId: volume.volumeId, copyId: primary?.copyId, generation: 2, sizeGiB: 100, mirror: B } },
    ]);
    expect(recorded?.copies.find((copy) => copy.role === 'mirror')).toMatchObject({ copyId: B.copyId, inSync: true, inSyncGeneration: 2 });
    expect(recorded?.copies.map((copy) => copy.role).sort()).toEqual(['mirror', 'primary']);
    await answerReServe();
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available', generation: 2 });
  });

  test('when a host was lost meanwhile (the volume is degraded: fail-over owns it), the rollback sends no command to serve', async () => {
    // Given a grow quiesced on A whose mirror's host died: the sweep made the volume degraded
    const context = setUp();
    const { deps, volume } = context;
    await reserveCurrent(deps, volume);
    const outcome = await requestModification(deps, TENANT, volume.volumeId, { sizeGiB: 200 });
    if (outcome.dryRun) throw new Error('not a dry run');
    await runWorkflow(deps, volume.volumeId, outcome.modification.modificationId, (step) => step.action === 'command' && step.command.type === 'resize-copy');
    const current = await deps.volumes.get(volume.volumeId);
    if (!current) throw new Error('missing');
    await deps.volumes.save({ ...current, status: 'degraded', statusReason: 'host host-b lost', version: current.version + 1 });
    // When the step fails
    const ended = await failModification(deps, volume.volumeId, outcome.modification.modificationId, 'host-b: States.HeartbeatTimeout');
    // Then nothing is sent to the copies
    expect(ended).toMatchObject({ action: 'done', status: 'failed' });
    expect(context.commands.all().filter((command) => command.type === 'resize-copy')).toEqual([]);
  });

  test('when the failure comes at promote-copy (the new copy may already serve), no old primary is told to serve: the way is forward', async () => {
    const { reServes } = await failAt({ type: 'hdd', iops: 500 }, 'promote-copy');
    expect(reServes).toEqual([]);
  });

  test('when the failure comes before any quiesce (mid-fill), no command to serve is sent', async () => {
    const { reServes } = await failAt({ type: 'hdd', iops: 500 }, 'extend-chain');
    expect(reServes).toEqual([]);
  });

  test('when the Catch runs twice for one failure (its first answer was lost), the second returns the same command to serve under a new id, and its answer ends the modification', async () => {
    const { deps, volume, modificationId, reServes } = await failAt({ sizeGiB: 200 }, 'resize-copy');
    const again = await failModification(deps, volume.volumeId, modificationId, 'host-b: HostTaskStalled (no progress)');
    if (again.action !== 'command') throw new Error(`expected the command again, got ${JSON.stringify(again)}`);
    expect({ hostId: again.command.hostId, type: again.command.type, payload: again.command.payload }).toEqual({ hostId: reServes[0].hostId, type: reServes[0].type, payload: reServes[0].payload });
    expect(again.command.commandId).not.toBe(reServes[0].commandId);
    expect(await advanceModification(deps, volume.volumeId, modificationId, { commandId: again.command.commandId, result: {} })).toMatchObject({ action: 'done', status: 'failed' });
    expect(await deps.volumes.get(volume.volumeId)).toMatchObject({ status: 'available' });
  });
});
