/**
 * A migration's chain and cutover on the agent (docs/modification-chain.md, qemu-7.2 §1): three
 * hosts in their own network namespaces, real daemons on loop devices. The volume's primary A
 * replicates to its mirror B; B fills a new copy C (`extend-chain`) while a writer on A logs every
 * acknowledged write; the cutover (A quiesced, `end-chain` with the next generation, planned
 * `promote-copy` of C) makes C the primary with B as its mirror; the writer follows to C; A is
 * deleted. Every acknowledged write must be on C and on B. Fault classes: C's daemon killed
 * mid-fill, B (the fill source) killed mid-fill, cancel mid-fill.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CommandOutcome } from '../../../agent/commands/command-handler';
import { CopyRole } from '../../../agent/copies/copy-role';
import { ReplicaStatus } from '../../../agent/copies/replica-status';
import { readLeaseFile } from '../../../agent/lease/lease-file';
import { ConsentStub, CopyEndpoint, TestHost, VolumeKeys, createCopyPayload, daemonPidsUnder, startReplicatedVolume } from '../helpers/agent-host';
import { waitUntil } from '../helpers/copy-fixture';
import { NetnsFleet } from '../helpers/netns-fleet';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';
import { WRITER, acksIn, verifyFile } from '../helpers/acked-writer-log';

jest.setTimeout(240_000);

/** Written before each test's fill: 384 MiB from 256 MiB on (the writer writes 4 KiB blocks from 0). */
const FILL_OFFSET = '256M';
const FILL_BYTES = '384M';

function succeeded(outcome: CommandOutcome): Record<string, unknown> {
  if (outcome.status !== 'succeeded') throw new Error(`command failed: ${JSON.stringify(outcome)}`);
  return outcome.result;
}

describe('migration chain: fill a new copy from the mirror under load, then cut over to it', () => {
  let fleet: NetnsFleet;
  let hostA: TestHost;
  let hostB: TestHost;
  let hostC: TestHost;
  let writer: ChildProcess | undefined;
  const created: Array<[TestHost, string, string]> = [];

  beforeAll(async () => {
    fleet = await NetnsFleet.create(3);
    const [a, b, c] = fleet.hosts as [(typeof fleet.hosts)[0], (typeof fleet.hosts)[0], (typeof fleet.hosts)[0]];
    const ports = { first: 10800, last: 10819 };
    hostA = await TestHost.create({ hostId: 'host-a', address: a.address, netns: a.netns, ports, consent: new ConsentStub() });
    hostB = await TestHost.create({ hostId: 'host-b', address: b.address, netns: b.netns, ports, consent: new ConsentStub() });
    hostC = await TestHost.create({ hostId: 'host-c', address: c.address, netns: c.netns, ports, consent: new ConsentStub() });
  });

  afterEach(async () => {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    writer = undefined;
    for (const [host, volumeId, copyId] of created.splice(0)) await host.run('delete-copy', { volumeId, copyId });
  });

  afterAll(async () => {
    await hostA?.destroy();
    await hostB?.destroy();
    await hostC?.destroy();
    await fleet?.destroy();
  });

  interface Volume {
    volumeId: string;
    keys: VolumeKeys;
    primary: CopyEndpoint;
    mirror: CopyEndpoint;
    filling: CopyEndpoint;
    client: TlsClient;
    log: string;
    targetFile: string;
  }

  /** A replicated volume (A → B, generation 1), a writer on A, and a filling copy on C (created as a mirror: only the replication key reaches it). */
  async function volumeUnderLoad(name: string): Promise<Volume> {
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    created.push([hostA, volumeId, primary.copyId], [hostB, volumeId, mirror.copyId]);
    const filling = succeeded(await hostC.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror', generation: 1 }))) as unknown as CopyEndpoint;
    created.push([hostC, volumeId, filling.copyId]);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', volumeId), keys.clientKey);
    // Data for the fill to copy (an unwritten copy fills in milliseconds), away from the writer's blocks
    await qemuIoTls({ host: primary.nbd.address, port: primary.nbd.port, exportName: volumeId }, client, [`write -P 0x5a ${FILL_OFFSET} ${FILL_BYTES}`], {
      netns: (fleet.hosts[0] as { netns: string }).netns,
      timeoutMs: 120_000,
    });
    const log = path.join(hostA.dataDir, `${name}.log`);
    const targetFile = `${log}.target`;
    await pointWriterAt(targetFile, primary);
    const args = [
      'netns', 'exec', (fleet.hosts[0] as { netns: string }).netns, '/usr/bin/python3', WRITER, 'write',
      '--target-file', targetFile, '--identity', client.key.identity, '--psk-file', path.join(client.dir, 'keys.psk'),
      '--log', log, '--stop', `${log}.stop`, '--deadline-seconds', '400',
    ];
    writer = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    writer.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`writer: ${chunk.toString()}`));
    await waitUntil(() => acksIn(log).length > 300, 30_000, 'the writer to get 300 acknowledgements on A');
    return { volumeId, keys, primary, mirror, filling, client, log, targetFile };
  }

  /** The "control plane" tells the writer where the primary is (read at each reconnect). */
  async function pointWriterAt(targetFile: string, endpoint: CopyEndpoint): Promise<void> {
    await fs.writeFile(`${targetFile}.tmp`, `${endpoint.nbd.address} ${endpoint.nbd.port} ${endpoint.nbd.exportName}\n`);
    await fs.rename(`${targetFile}.tmp`, targetFile);
  }

  async function stopWriter(log: string): Promise<void> {
    await fs.writeFile(`${log}.stop`, '');
    const running = writer;
    if (running && running.exitCode === null) await new Promise((resolve) => running.once('exit', resolve));
  }

  function extendChain(volume: Volume): Promise<CommandOutcome> {
    return hostB.run('extend-chain', {
      volumeId: volume.volumeId,
      copyId: volume.mirror.copyId,
      generation: 1,
      target: { hostId: hostC.hostId, copyId: volume.filling.copyId, ...volume.filling.nbd },
      replicationKey: volume.keys.replicationKey,
    });
  }

  /** `quiesce-replication` on A: its clients cut off, its mirror made identical, the copy kept open. */
  async function quiesce(volume: Volume): Promise<void> {
    expect(succeeded(await hostA.run('quiesce-replication', { volumeId: volume.volumeId, copyId: volume.primary.copyId, generation: 1 }))).toMatchObject({ quiesced: true, mirrorIdentical: true });
  }

  /** B's fill job to C is running and not finished. */
  async function waitMidFill(volume: Volume): Promise<void> {
    await waitUntil(
      async () => {
        const progress = await hostB.copies.servedCopy(volume.mirror.copyId)?.runtime.mirrorProgress();
        return progress !== undefined && progress.current > 0 && progress.current < progress.total;
      },
      30_000,
      'the fill to be under way',
    );
  }

  const fileOf = (host: TestHost, copyId: string) => host.copies.describe(copyId)!.dataPath;
  const reportOf = (host: TestHost, copyId: string) => host.copies.reports().find((copy) => copy.copyId === copyId);

  it('fills C from B while A serves, cuts over to C with B as its mirror at the next generation, and loses no acknowledged write', async () => {
    // Given a replicated volume under a writer and a new copy on C
    const volume = await volumeUnderLoad('cutover');
    const { volumeId, keys, primary, mirror, filling, client, log, targetFile } = volume;

    // When B fills C under load
    const fillStarted = Date.now();
    const extended = succeeded(await extendChain(volume));
    const fillMs = Date.now() - fillStarted;
    expect(extended).toEqual({ copyId: mirror.copyId, target: filling.copyId, inSync: true });
    // Then C never serves clients while it fills: its export is the replication one, and the client key is refused
    expect(filling.nbd.exportName).toBe(`${volumeId}.g1`);
    await expect(qemuIoTls({ host: filling.nbd.address, port: filling.nbd.port, exportName: filling.nbd.exportName }, client, ['read 0 4k'], { netns: (fleet.hosts[0] as { netns: string }).netns, timeoutMs: 20_000 })).rejects.toThrow();
    const acksAtReady = acksIn(log).length;
    await waitUntil(() => acksIn(log).length > acksAtReady + 300, 30_000, 'writes to flow A → B → C');

    // When the cutover runs: A quiesced, B ends the chain at generation 2, C promoted (planned) with B as its mirror
    const cutoverStarted = Date.now();
    await quiesce(volume);
    const lastAckOnA = Math.max(...acksIn(log).map((ack) => ack.at));
    const ended = succeeded(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId }, nextGeneration: 2 }));
    expect(ended).toMatchObject({ copyId: mirror.copyId, target: filling.copyId, inSync: true, generation: 2, nbd: { exportName: `${volumeId}.g2`, port: mirror.nbd.port } });
    const promoted = succeeded(
      await hostC.run('promote-copy', {
        volumeId, copyId: filling.copyId, generation: 2, planned: true, clientKeys: [keys.clientKey],
        mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...(ended.nbd as CopyEndpoint['nbd']) }, replicationKey: keys.replicationKey,
      }),
    ) as unknown as CopyEndpoint;
    const cutoverMs = Date.now() - cutoverStarted;
    expect(promoted.nbd).toEqual({ address: filling.nbd.address, port: filling.nbd.port, exportName: volumeId });
    await pointWriterAt(targetFile, promoted);

    // Then the writer continues on C
    await waitUntil(() => acksIn(log).filter((ack) => ack.at > cutoverStarted).length > 300, 30_000, 'the writer to continue on C');
    const firstAckOnC = Math.min(...acksIn(log).filter((ack) => ack.at > lastAckOnA).map((ack) => ack.at));
    // And C is the primary at generation 2, replicating to B, guarded by B's generation-2 export
    expect(reportOf(hostC, filling.copyId)).toMatchObject({ role: CopyRole.Primary, generation: 2, state: 'serving' });
    expect(reportOf(hostB, mirror.copyId)).toMatchObject({ role: CopyRole.Mirror, generation: 2, state: 'mirroring' });
    await waitUntil(() => hostC.lease.isGuarded(filling.copyId), 10_000, "C's lease to be guarded");
    const guarded = (await readLeaseFile(hostC.lease.file))?.copies.find((copy) => copy.copyId === filling.copyId);
    expect(guarded).toMatchObject({ generation: 2 });
    expect(guarded?.probe.join(' ')).toContain(`/${volumeId}.g2?`);
    // And every acknowledged write is on C and on B
    await stopWriter(log);
    const acks = acksIn(log);
    const onC = await verifyFile(fileOf(hostC, filling.copyId), log);
    const onB = await verifyFile(fileOf(hostB, mirror.copyId), log);
    console.log(
      `chain cutover: fill ${fillMs} ms under load; cutover commands ${cutoverMs} ms; client I/O gap ${Math.round(firstAckOnC - lastAckOnA)} ms ` +
        `(includes the writer's reconnect); ${acks.filter((ack) => ack.at <= lastAckOnA).length} acks on A, ${acks.filter((ack) => ack.at > lastAckOnA).length} on C; ` +
        `lost on C ${onC.lost} of ${onC.acked}, on B ${onB.lost} of ${onB.acked}`,
    );
    expect(onC).toMatchObject({ lost: 0, acked: acks.length });
    expect(onB).toMatchObject({ lost: 0, acked: acks.length });
    // And the old primary is gone once deleted
    expect(succeeded(await hostA.run('delete-copy', { volumeId, copyId: primary.copyId, generation: 1 }))).toEqual({ copyId: primary.copyId, deleted: true });
    expect(hostA.copies.describe(primary.copyId)).toBeUndefined();

    // And C's replica-fault controller watches B: B's death is a fault C reports at generation 2
    const asked = hostC.consent.requests.length;
    for (const pid of await daemonPidsUnder(hostB.dataDir)) process.kill(pid, 'SIGKILL');
    await waitUntil(() => hostC.consent.requests.length > asked, 15_000, 'C to report its mirror fault');
    expect(hostC.consent.requests[asked]).toMatchObject({ copyId: filling.copyId, generation: 2 });
    await waitUntil(() => reportOf(hostC, filling.copyId)?.detail?.includes('out of date') === true, 60_000, 'C to continue alone');
    created.splice(0, created.length, [hostB, volumeId, mirror.copyId], [hostC, volumeId, filling.copyId]);
  });

  it("when C's daemon dies mid-fill, extend-chain fails with a clear error, A keeps replicating to B with every write, and C can be deleted", async () => {
    // Given a fill under way
    const volume = await volumeUnderLoad('c-killed');
    const extending = extendChain(volume);
    await waitMidFill(volume);
    // When C's daemon is killed
    const killedAt = Date.now();
    for (const pid of await daemonPidsUnder(hostC.dataDir)) process.kill(pid, 'SIGKILL');
    // Then extend-chain fails and says why
    const outcome = await extending;
    if (outcome.status === 'failed' && outcome.error.code === 'QmpError' && (await daemonPidsUnder(hostB.dataDir)).length === 0) {
      // Seen once in about ten runs (open, docs/modification-chain.md): B's storage daemon died with
      // its fill target. Then A's replica-fault controller handles B's loss like any mirror fault;
      // what must still hold is that no acknowledged write is lost.
      await waitUntil(() => acksIn(volume.log).filter((ack) => ack.at > killedAt + 1_000).length > 300, 60_000, 'writes to continue on A alone');
      await stopWriter(volume.log);
      const alone = await verifyFile(fileOf(hostA, volume.primary.copyId), volume.log);
      console.log(`C killed mid-fill took B's daemon with it (${outcome.error.message}); lost on A ${alone.lost} of ${alone.acked}`);
      expect(alone).toMatchObject({ lost: 0 });
      return;
    }
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'MirrorSyncFailed', message: expect.stringContaining(`the chain to ${volume.filling.copyId} failed before it was in sync`) } });
    // And A → B goes on: A serving, writes acknowledged after the kill
    await waitUntil(() => acksIn(volume.log).filter((ack) => ack.at > killedAt + 1_000).length > 300, 30_000, 'writes to continue on A');
    expect(reportOf(hostA, volume.primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
    expect(hostB.copies.servedCopy(volume.mirror.copyId)?.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
    expect(hostA.consent.requests.filter((request) => request.copyId === volume.primary.copyId)).toHaveLength(0);
    await stopWriter(volume.log);
    const onB = await verifyFile(fileOf(hostB, volume.mirror.copyId), volume.log);
    const onA = await verifyFile(fileOf(hostA, volume.primary.copyId), volume.log);
    console.log(`C killed mid-fill: ${outcome.status === 'failed' ? outcome.error.message : ''}; lost on A ${onA.lost} of ${onA.acked}, on B ${onB.lost} of ${onB.acked}`);
    expect(onA).toMatchObject({ lost: 0 });
    expect(onB).toMatchObject({ lost: 0 });
    // And C can be deleted
    expect(succeeded(await hostC.run('delete-copy', { volumeId: volume.volumeId, copyId: volume.filling.copyId, generation: 1 }))).toMatchObject({ deleted: true });
  });

  it("when B (the fill source) dies mid-fill, A's replica-fault controller handles it as any mirror fault, extend-chain fails, and C can be deleted", async () => {
    // Given a fill under way
    const volume = await volumeUnderLoad('b-killed');
    const asked = hostA.consent.requests.length;
    const extending = extendChain(volume);
    await waitMidFill(volume);
    // When B's daemon is killed
    const killedAt = Date.now();
    for (const pid of await daemonPidsUnder(hostB.dataDir)) process.kill(pid, 'SIGKILL');
    // Then A asks for consent and continues alone (the control plane's fail-over takes it from there)
    await waitUntil(() => hostA.consent.requests.length > asked, 15_000, 'A to report the mirror fault');
    await waitUntil(() => reportOf(hostA, volume.primary.copyId)?.detail?.includes('out of date') === true, 60_000, 'A to continue alone');
    await waitUntil(() => acksIn(volume.log).filter((ack) => ack.at > killedAt).length > 300, 30_000, 'writes to continue on A');
    const outcome = await extending;
    expect(outcome.status).toBe('failed');
    await stopWriter(volume.log);
    const onA = await verifyFile(fileOf(hostA, volume.primary.copyId), volume.log);
    console.log(`B killed mid-fill: extend-chain ${JSON.stringify(outcome)}; lost on A ${onA.lost} of ${onA.acked}`);
    expect(onA).toMatchObject({ lost: 0 });
    expect(reportOf(hostA, volume.primary.copyId)).toMatchObject({ generation: 2 });
    expect(succeeded(await hostC.run('delete-copy', { volumeId: volume.volumeId, copyId: volume.filling.copyId, generation: 1 }))).toMatchObject({ deleted: true });
  });

  it("when C's daemon dies after the chain was in sync, the chain is broken for good: the cutover is refused and changes nothing, a cancel ends it, A → B keeps every write", async () => {
    // Given a chain in sync under the writer
    const volume = await volumeUnderLoad('c-killed-in-sync');
    const { volumeId, mirror, filling, primary } = volume;
    expect(succeeded(await extendChain(volume))).toMatchObject({ inSync: true });
    // When C's daemon dies (the next write B mirrors to it fails the job)
    const killedAt = Date.now();
    for (const pid of await daemonPidsUnder(hostC.dataDir)) process.kill(pid, 'SIGKILL');
    await waitUntil(() => hostB.copies.servedCopy(mirror.copyId)?.runtime.replicaStatus === ReplicaStatus.Stale, 15_000, "B's chain job to fail");
    // Then a cutover is refused and B keeps its generation and export
    expect(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId }, nextGeneration: 2 })).toMatchObject({
      status: 'failed', error: { code: 'MirrorSyncFailed', message: expect.stringContaining('is not in sync') },
    });
    expect(reportOf(hostB, mirror.copyId)).toMatchObject({ state: 'mirroring', generation: 1 });
    // And a cancel ends the chain
    expect(succeeded(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId } }))).toMatchObject({ inSync: false, generation: 1 });
    await waitUntil(() => acksIn(volume.log).filter((ack) => ack.at > killedAt + 1_000).length > 300, 30_000, 'writes to continue on A');
    expect(reportOf(hostA, primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
    await stopWriter(volume.log);
    const onB = await verifyFile(fileOf(hostB, mirror.copyId), volume.log);
    console.log(`C killed after the chain was in sync: lost on B ${onB.lost} of ${onB.acked}`);
    expect(onB).toMatchObject({ lost: 0 });
  });

  it("when the cutover fails after A was quiesced (C died, end-chain's cutover refused), the rollback's resize-copy of A at its size with B as its mirror makes A serve again: the writer writes again and every acknowledged write is on A and B", async () => {
    // Given a chain in sync under the writer, and A quiesced for the cutover (its clients cut off)
    const volume = await volumeUnderLoad('rollback-after-quiesce');
    const { volumeId, keys, mirror, filling, primary, log } = volume;
    expect(succeeded(await extendChain(volume))).toMatchObject({ inSync: true });
    await quiesce(volume);
    const quiescedAt = Date.now();
    // When C dies before end-chain (nothing writes B now, so its chain may still look in sync), the cutover fails
    // (a broken chain is refused; a final sync to a dead C fails and puts B's export back) and B keeps generation 1
    for (const pid of await daemonPidsUnder(hostC.dataDir)) process.kill(pid, 'SIGKILL');
    expect(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId }, nextGeneration: 2 })).toMatchObject({
      status: 'failed', error: { code: 'MirrorSyncFailed' },
    });
    expect(reportOf(hostB, mirror.copyId)).toMatchObject({ state: 'mirroring', generation: 1 });
    // And the control plane rolls back as core/use-cases/modification-rollback.ts does: delete-copy C, resize-copy A at its size naming B (twice: it is at-least-once)
    expect(succeeded(await hostC.run('delete-copy', { volumeId, copyId: filling.copyId, generation: 1 }))).toMatchObject({ copyId: filling.copyId });
    const reServe = { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 1, mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...mirror.nbd }, replicationKey: keys.replicationKey };
    expect(succeeded(await hostA.run('resize-copy', reServe))).toEqual({ copyId: primary.copyId, sizeGiB: 1 });
    const servedAgainAt = Date.now();
    expect(succeeded(await hostA.run('resize-copy', reServe))).toEqual({ copyId: primary.copyId, sizeGiB: 1 });
    // Then A serves again at generation 1, mirroring to B, guarded by B's generation-1 export
    expect(acksIn(log).filter((ack) => ack.at > quiescedAt && ack.at < servedAgainAt)).toEqual([]);
    await waitUntil(() => acksIn(log).filter((ack) => ack.at > servedAgainAt).length > 300, 30_000, 'the writer to write on A again');
    expect(reportOf(hostA, primary.copyId)).toMatchObject({ role: CopyRole.Primary, state: 'serving', generation: 1 });
    expect(hostA.copies.servedCopy(primary.copyId)?.runtime.replicaStatus).toBe(ReplicaStatus.InSync);
    await waitUntil(() => hostA.lease.isGuarded(primary.copyId), 10_000, "A's lease to be guarded again");
    // And every acknowledged write, before the quiesce and after it, is on A and on B
    await stopWriter(log);
    const acks = acksIn(log);
    const onA = await verifyFile(fileOf(hostA, primary.copyId), log);
    const onB = await verifyFile(fileOf(hostB, mirror.copyId), log);
    console.log(`rollback after quiesce: ${acks.filter((ack) => ack.at > servedAgainAt).length} acks after A served again; lost on A ${onA.lost} of ${onA.acked}, on B ${onB.lost} of ${onB.acked}`);
    expect(onA).toMatchObject({ lost: 0, acked: acks.length });
    expect(onB).toMatchObject({ lost: 0, acked: acks.length });
  });

  it('cancel mid-fill: end-chain without a cutover leaves A → B in sync with every write, and C is deleted', async () => {
    // Given a fill under way
    const volume = await volumeUnderLoad('cancel');
    const extending = extendChain(volume);
    await waitMidFill(volume);
    // When the chain is ended without a cutover
    const cancelledAt = Date.now();
    const ended = succeeded(await hostB.run('end-chain', { volumeId: volume.volumeId, copyId: volume.mirror.copyId, generation: 1, target: { copyId: volume.filling.copyId } }));
    // Then the fill stops, B keeps its generation and its export, A stays in sync
    expect(ended).toEqual({ copyId: volume.mirror.copyId, target: volume.filling.copyId, inSync: false, generation: 1 });
    expect(await extending).toMatchObject({ status: 'failed', error: { code: 'MirrorSyncFailed', message: expect.stringContaining('cancelled by end-chain') } });
    expect(hostB.copies.servedCopy(volume.mirror.copyId)?.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
    expect(reportOf(hostB, volume.mirror.copyId)).toMatchObject({ state: 'mirroring', generation: 1 });
    await waitUntil(() => acksIn(volume.log).filter((ack) => ack.at > cancelledAt).length > 300, 30_000, 'writes to continue on A');
    expect(reportOf(hostA, volume.primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
    expect(succeeded(await hostC.run('delete-copy', { volumeId: volume.volumeId, copyId: volume.filling.copyId, generation: 1 }))).toMatchObject({ deleted: true });
    await stopWriter(volume.log);
    const onB = await verifyFile(fileOf(hostB, volume.mirror.copyId), volume.log);
    console.log(`cancel mid-fill: lost on B ${onB.lost} of ${onB.acked}`);
    expect(onB).toMatchObject({ lost: 0 });
  });

  it('refuses what would break the chain: a primary as the source, an out-of-date mirror, a cutover without a chain in sync, a planned promotion without its mirror or to a mirror that has not cut over', async () => {
    const volume = await volumeUnderLoad('refusals');
    const { volumeId, keys, primary, mirror, filling } = volume;
    const target = { hostId: hostC.hostId, copyId: filling.copyId, ...filling.nbd };
    expect(await hostA.run('extend-chain', { volumeId, copyId: primary.copyId, generation: 1, target, replicationKey: keys.replicationKey })).toMatchObject({
      status: 'failed', error: { code: 'CopyRoleMismatch' },
    });
    expect(await hostB.run('extend-chain', { volumeId, copyId: mirror.copyId, generation: 2, target, replicationKey: keys.replicationKey })).toMatchObject({
      status: 'failed', error: { code: 'InvalidCopyState', message: expect.stringContaining('out of date') },
    });
    expect(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId }, nextGeneration: 2 })).toMatchObject({
      status: 'failed', error: { code: 'InvalidCopyState' },
    });
    expect(await hostB.run('end-chain', { volumeId, copyId: mirror.copyId, generation: 1, target: { copyId: filling.copyId }, nextGeneration: 3 })).toMatchObject({
      status: 'failed', error: { code: 'InvalidPayload', message: expect.stringContaining('nextGeneration') },
    });
    expect(await hostC.run('promote-copy', { volumeId, copyId: filling.copyId, generation: 2, planned: true, clientKeys: [keys.clientKey] })).toMatchObject({
      status: 'failed', error: { code: 'InvalidPayload', message: expect.stringContaining('mirror') },
    });
    expect(
      await hostC.run('promote-copy', {
        volumeId, copyId: filling.copyId, generation: 2, planned: true, clientKeys: [keys.clientKey],
        mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...mirror.nbd }, replicationKey: keys.replicationKey,
      }),
    ).toMatchObject({ status: 'failed', error: { code: 'InvalidCopyState', message: expect.stringContaining(`${volumeId}.g2`) } });
    // And nothing changed: B still mirrors A at generation 1, C is still a mirror nobody promoted
    expect(reportOf(hostB, mirror.copyId)).toMatchObject({ state: 'mirroring', generation: 1 });
    expect(reportOf(hostC, filling.copyId)).toMatchObject({ role: CopyRole.Mirror, generation: 1 });
    expect(reportOf(hostA, primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
    await stopWriter(volume.log);
  });
});
