import { ForbiddenError, NotFoundError } from '../../../../core/errors';
import { REDELIVERY_AFTER_SECONDS } from '../../../../core/host-command';
import { MAX_COMMANDS_PER_POLL, pollCommands, POLL_INTERVAL_MS, type PollCommandsDeps } from '../../../../core/use-cases/poll-commands';
import { sendHostCommand } from '../../../../core/use-cases/send-host-command';
import { aHost, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { aSealedKey, FakeKeyVault } from '../../fakes/fake-key-vault';
import { aVolume } from '../../fakes/builders';

function setUp() {
  const hosts = new InMemoryHostRepository();
  const commands = new InMemoryHostCommandQueue();
  const clock = new FakeClock();
  hosts.put(aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }));
  hosts.put(aHost({ hostId: 'host-b', principalArn: OTHER_HOST_PRINCIPAL }));
  const volumes = new InMemoryVolumeRepository();
  const deps: PollCommandsDeps = { hosts, commands, volumes, keys: new FakeKeyVault(), now: clock.now, sleep: clock.sleep };
  const send = (hostId: string, copyId: string, taskToken?: string) =>
    sendHostCommand(commands, { hostId, type: 'delete-copy', payload: { volumeId: 'vol-00000000000000001', copyId }, taskToken }, clock.now());
  return { commands, volumes, clock, deps, send };
}

describe('pollCommands', () => {
  test('when a command needs keys, the queue holds none and the host gets them opened at delivery', async () => {
    // Given a volume with one attachment whose primary is on host-a
    const { commands, volumes, clock, deps } = setUp();
    const volume = aVolume({ status: 'in-use', generation: 3, copies: [{ copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary' }] });
    const clientKey = aSealedKey(volume.volumeId, 'client-1', 'c'.repeat(64));
    volumes.put({ ...volume, attachments: [{ attachmentId: 'att-000000000001', createdAt: volume.createdAt, clientKey }] });
    await sendHostCommand(commands, { hostId: 'host-a', type: 'set-client-keys', payload: { volumeId: volume.volumeId, copyId: 'cpy-000000000001', generation: 3 } }, clock.now());
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 20);
    // Then
    expect(answer.commands[0]?.payload).toEqual({ volumeId: volume.volumeId, copyId: 'cpy-000000000001', generation: 3, clientKeys: [{ identity: 'client-1', keyHex: 'c'.repeat(64) }] });
    expect(JSON.stringify(commands.all())).not.toContain('c'.repeat(64));
  });

  test('when commands are waiting, it returns them at once without sleeping and without their task tokens', async () => {
    // Given
    const { clock, deps, send } = setUp();
    const first = await send('host-a', 'cpy-000000000001', 'secret-token');
    const other = await send('host-b', 'cpy-000000000002');
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 20);
    // Then
    expect(answer.commands.map((c) => c.commandId)).toEqual([first]);
    expect(answer.commands.map((c) => c.commandId)).not.toContain(other);
    expect(JSON.stringify(answer)).not.toContain('secret-token');
    expect(clock.sleeps).toEqual([]);
  });

  test('when nothing arrives, it waits the whole wait time in bounded steps and returns none', async () => {
    // Given
    const { clock, deps } = setUp();
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 2);
    // Then
    expect(answer.commands).toEqual([]);
    expect(clock.slept).toBe(2000);
    expect(new Set(clock.sleeps)).toEqual(new Set([POLL_INTERVAL_MS]));
  });

  test('when wait is 0, it looks once and returns without sleeping', async () => {
    // Given
    const { clock, commands, deps } = setUp();
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    expect(answer.commands).toEqual([]);
    expect(clock.sleeps).toEqual([]);
    expect(commands.takeCalls).toBe(1);
  });

  test('when a command arrives while it waits, it returns it on the next look', async () => {
    // Given: a command is queued just before the third look
    const { clock, commands, deps, send } = setUp();
    let queued = '';
    commands.interleaveBeforeTake(3, () => {
      void send('host-a', 'cpy-000000000003').then((id) => (queued = id));
    });
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 20);
    // Then
    expect(answer.commands.map((c) => c.commandId)).toEqual([queued]);
    expect(clock.slept).toBe(2 * POLL_INTERVAL_MS);
  });

  test('when the host registers again while a poll of its dead agent waits, that poll hands out nothing and the new agent gets the command at once', async () => {
    // Given: a poll of the old agent waits; the agent restarts and registers, and a command is queued for the new one
    const { clock, commands, deps, send } = setUp();
    const hosts = deps.hosts as InMemoryHostRepository;
    let queued = '';
    commands.interleaveBeforeTake(2, () => {
      hosts.put({ ...aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }), sessionStartedAt: clock.now().toISOString() });
      void send('host-a', 'cpy-000000000001').then((id) => (queued = id));
    });
    // When the old poll looks again, and the new agent polls
    const old = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 20);
    const fresh = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    expect(old.commands).toEqual([]);
    expect(fresh.commands.map((c) => c.commandId)).toEqual([queued]);
  });

  test('when the host registers again while a poll of its dead agent sleeps, the poll ends without looking again', async () => {
    // Given
    const { clock, commands, deps } = setUp();
    const hosts = deps.hosts as InMemoryHostRepository;
    const sleep = async (ms: number): Promise<void> => {
      await clock.sleep(ms);
      hosts.put({ ...aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }), sessionStartedAt: clock.now().toISOString() });
    };
    // When
    const answer = await pollCommands({ ...deps, sleep }, HOST_PRINCIPAL, 'host-a', 20);
    // Then
    expect(answer.commands).toEqual([]);
    expect(commands.takeCalls).toBe(1);
  });

  test('when a command was just handed out, the next poll does not hand it out again until redelivery is due', async () => {
    // Given
    const { clock, deps, send } = setUp();
    const id = await send('host-a', 'cpy-000000000001');
    await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    // When
    const soon = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    clock.advance(REDELIVERY_AFTER_SECONDS * 1000);
    const later = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    expect(soon.commands).toEqual([]);
    expect(later.commands.map((c) => c.commandId)).toEqual([id]);
  });

  test(`when more than ${MAX_COMMANDS_PER_POLL} commands wait, it hands out ${MAX_COMMANDS_PER_POLL} oldest first`, async () => {
    // Given
    const { clock, deps, send } = setUp();
    const ids: string[] = [];
    for (let i = 0; i < MAX_COMMANDS_PER_POLL + 3; i++) {
      ids.push(await send('host-a', `cpy-${i.toString().padStart(12, '0')}`));
      clock.advance(1);
    }
    // When
    const answer = await pollCommands(deps, HOST_PRINCIPAL, 'host-a', 0);
    // Then
    expect(answer.commands.map((c) => c.commandId)).toEqual(ids.slice(0, MAX_COMMANDS_PER_POLL));
  });

  test("when a host polls another host's commands, it throws ForbiddenError", async () => {
    // Given
    const { deps, send } = setUp();
    await send('host-b', 'cpy-000000000002');
    // When
    const act = pollCommands(deps, HOST_PRINCIPAL, 'host-b', 0);
    // Then
    await expect(act).rejects.toThrow(ForbiddenError);
  });

  test('when the host is not registered, it throws NotFoundError', async () => {
    // Given
    const { deps } = setUp();
    // When
    const act = pollCommands(deps, HOST_PRINCIPAL, 'host-z', 0);
    // Then
    await expect(act).rejects.toThrow(NotFoundError);
  });
});
