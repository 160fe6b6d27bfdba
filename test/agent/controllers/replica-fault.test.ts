/**
 * What a primary does when its mirror stops taking writes (docs/replication-safety.md): a
 * primary on host A replicating to a mirror on host B, each host in its own network namespace,
 * real daemons on loop devices, a real libnbd client writing in A's namespace that logs every
 * acknowledged write with its time and never writes a block twice, so every acknowledgement is
 * checked, not just the last one per block.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { ReplicaStatus } from '../../../agent/copies/replica-status';
import { ConsentStub, CopyEndpoint as Endpoint, TestHost, VolumeKeys, createCopyPayload, daemonPidsUnder, startReplicatedVolume } from '../helpers/agent-host';
import { waitUntil } from '../helpers/copy-fixture';
import { NetnsPair } from '../helpers/netns-pair';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';
import { WRITER, acksIn, verifyFile, type Ack } from '../helpers/acked-writer-log';

jest.setTimeout(180_000);

/** Signals every PID (found beforehand, so the time is the signal's); returns when it was sent. */
function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): number {
  const at = Date.now();
  for (const pid of pids) process.kill(pid, signal);
  return at;
}

function longestGapMs(acks: readonly Ack[]): number {
  let longest = 0;
  for (let i = 1; i < acks.length; i++) longest = Math.max(longest, (acks[i] as Ack).at - (acks[i - 1] as Ack).at);
  return Math.round(longest);
}

describe('replica faults: a primary never acknowledges a write its mirror missed without the control plane\'s consent', () => {
  let network: NetnsPair;
  let hostA: TestHost;
  let hostB: TestHost;
  let consent: ConsentStub;
  let writer: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  const stopped: number[] = [];
  const created: Array<[TestHost, string, string]> = [];

  beforeAll(async () => {
    network = await NetnsPair.create();
    consent = new ConsentStub();
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports: { first: 10800, last: 10819 }, consent });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports: { first: 10800, last: 10819 } });
  });

  afterEach(async () => {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    writer = undefined;
    if (guard && guard.exitCode === null) guard.kill('SIGKILL');
    guard = undefined;
    for (const pid of stopped.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone already.
      }
    }
    consent.release('grant');
    // Each test's copies go (the loop disks hold a few 1 GiB copies only).
    for (const [host, volumeId, copyId] of created.splice(0)) await host.run('delete-copy', { volumeId, copyId });
  });

  afterAll(async () => {
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  /** A fresh volume: primary on A, mirror on B, in sync, and a client key file in A's data dir. */
  async function replicatedVolume(): Promise<{ volumeId: string; keys: VolumeKeys; primary: Endpoint; mirror: Endpoint; client: TlsClient }> {
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    created.push([hostA, volumeId, primary.copyId], [hostB, volumeId, mirror.copyId]);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', volumeId), keys.clientKey);
    return { volumeId, keys, primary, mirror, client };
  }

  function startWriter(endpoint: Endpoint, client: TlsClient, log: string): ChildProcess {
    const args = [
      'netns', 'exec', network.a.netns, '/usr/bin/python3', WRITER, 'write',
      '--host', endpoint.nbd.address, '--port', String(endpoint.nbd.port), '--export', endpoint.nbd.exportName,
      '--identity', client.key.identity, '--psk-file', path.join(client.dir, 'keys.psk'),
      '--log', log, '--stop', `${log}.stop`,
    ];
    writer = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    writer.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`writer: ${chunk.toString()}`));
    return writer;
  }

  async function stopWriter(log: string): Promise<void> {
    await fs.writeFile(`${log}.stop`, '');
    const running = writer;
    if (running && running.exitCode === null) await new Promise((resolve) => running.once('exit', resolve));
  }

  const fileOf = (host: TestHost, copyId: string) => host.copies.describe(copyId)!.dataPath;

  it('when the mirror\'s daemon is killed, writes are held (none acknowledged) until the control plane consents, then the primary continues alone with every acknowledged write', async () => {
    // Given a replicated volume under a writer, and a control plane that answers only when told
    const { primary, mirror, client } = await replicatedVolume();
    const log = path.join(hostA.dataDir, 'kill.log');
    startWriter(primary, client, log);
    await waitUntil(() => acksIn(log).length > 500, 30_000, 'the writer to get 500 acknowledgements');
    consent.mode = 'hold';
    const asked = consent.requests.length;

    // When the mirror's daemon dies
    const killedAt = killAll(await daemonPidsUnder(hostB.dataDir));

    // Then the primary asks for consent within the detection bound, and acknowledges nothing meanwhile
    await waitUntil(() => consent.requests.length > asked, 15_000, 'the primary to report the fault');
    const detectionMs = (consent.requests[asked] as { at: number }).at - killedAt;
    // (held past the 3 s reconnect delay the mirror used to have, after which QEMU acknowledged alone)
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const releasedAt = Date.now();
    const acksWhileHeld = acksIn(log).filter((ack) => ack.at > killedAt + 50 && ack.at < releasedAt).length;
    consent.release('grant');

    // And once it consents, writes continue on the primary alone
    await waitUntil(() => acksIn(log).filter((ack) => ack.at > releasedAt).length > 300, 30_000, 'writes to continue after consent');
    await stopWriter(log);
    const acks = acksIn(log);
    const onPrimary = await verifyFile(fileOf(hostA, primary.copyId), log);
    const onMirrorBeforeKill = await verifyFile(fileOf(hostB, mirror.copyId), log, killedAt);
    console.log(
      `mirror killed: fault reported after ${detectionMs} ms; ${acksWhileHeld} acks while held; longest stall ${longestGapMs(acks)} ms; ` +
        `${onPrimary.acked} acked, ${onPrimary.lost} lost on the primary; ${onMirrorBeforeKill.acked} acked before the kill, ${onMirrorBeforeKill.lost} lost on the mirror`,
    );
    expect(detectionMs).toBeLessThan(10_000);
    expect(acksWhileHeld).toBe(0);
    expect(onPrimary).toMatchObject({ lost: 0 });
    expect(onMirrorBeforeKill).toMatchObject({ lost: 0 });
    expect(consent.requests[asked]).toMatchObject({ copyId: primary.copyId, generation: 1 });
    const report = hostA.copies.reports().find((copy) => copy.copyId === primary.copyId);
    expect(report).toMatchObject({ state: 'created', generation: 2, detail: expect.stringContaining('out of date at generation 2') });
    expect(hostA.copies.servedCopy(primary.copyId)?.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
  });

  it('when an idle mirror dies (no write in flight to notice it), the probes find it, and a new mirror can be started after the primary continued alone', async () => {
    // Given a replicated volume nobody writes to
    const { volumeId, keys, primary } = await replicatedVolume();
    const asked = consent.requests.length;
    // When the mirror's daemon dies
    killAll(await daemonPidsUnder(hostB.dataDir));
    // Then the primary asks for consent and continues alone
    await waitUntil(() => consent.requests.length > asked, 15_000, 'the primary to report the fault');
    await waitUntil(
      () => hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)?.detail?.includes('out of date') === true,
      60_000,
      'the primary to continue alone',
    );
    // And a replacement mirror syncs (the old peer node may take up to the hold to go: QEMU flushes it on removal)
    const started = Date.now();
    const replacement = (await hostB.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror', generation: 2 }))) as unknown as { result: Endpoint };
    created.push([hostB, volumeId, replacement.result.copyId]);
    const outcome = await hostA.run('start-replication', {
      volumeId, copyId: primary.copyId, generation: 2, mirror: { hostId: hostB.hostId, ...replacement.result, ...replacement.result.nbd }, replicationKey: keys.replicationKey, sync: 'full',
    });
    console.log(`idle mirror died: a new mirror was in sync ${Date.now() - started} ms after the primary continued alone`);
    expect(outcome).toMatchObject({ status: 'succeeded' });
    expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving', generation: 2 });
  });

  it('when the mirror goes silent (its daemon frozen, a black hole), the fault is detected, the stuck connection is cut and writes resume after consent', async () => {
    // Given
    const { primary, client } = await replicatedVolume();
    const log = path.join(hostA.dataDir, 'freeze.log');
    startWriter(primary, client, log);
    await waitUntil(() => acksIn(log).length > 500, 30_000, 'the writer to get 500 acknowledgements');
    const asked = consent.requests.length;

    // When the mirror's daemons stop answering (SIGSTOP: connections stay open, nothing replies)
    const pids = await daemonPidsUnder(hostB.dataDir);
    stopped.push(...pids);
    const frozenAt = killAll(pids, 'SIGSTOP');

    // Then the primary reports the fault and goes on alone (the default consent grants at once)
    await waitUntil(() => consent.requests.length > asked, 15_000, 'the primary to report the fault');
    const detectionMs = (consent.requests[asked] as { at: number }).at - frozenAt;
    await waitUntil(() => acksIn(log).filter((ack) => ack.at > frozenAt).length > 300, 30_000, 'writes to resume');
    await stopWriter(log);
    const acks = acksIn(log);
    const onPrimary = await verifyFile(fileOf(hostA, primary.copyId), log);
    console.log(`mirror black-holed: fault reported after ${detectionMs} ms; longest client stall ${longestGapMs(acks)} ms; ${onPrimary.acked} acked, ${onPrimary.lost} lost`);
    expect(detectionMs).toBeLessThan(10_000);
    expect(onPrimary).toMatchObject({ lost: 0 });
  });

  it('when the control plane refuses (the copy is no longer the primary), the primary cuts its clients off and never acknowledges alone', async () => {
    // Given
    const { primary, client } = await replicatedVolume();
    const log = path.join(hostA.dataDir, 'refused.log');
    startWriter(primary, client, log);
    await waitUntil(() => acksIn(log).length > 500, 30_000, 'the writer to get 500 acknowledgements');
    consent.mode = 'refuse';
    const asked = consent.requests.length;

    // When the mirror dies
    const killedAt = killAll(await daemonPidsUnder(hostB.dataDir));

    // Then
    await waitUntil(() => consent.requests.length > asked, 15_000, 'the primary to report the fault');
    await waitUntil(() => hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)?.state === 'held', 15_000, 'the primary to fence itself');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await stopWriter(log);
    const acksAfterKill = acksIn(log).filter((ack) => ack.at > killedAt + 50).length;
    console.log(`refused consent: ${acksAfterKill} acks after the mirror died`);
    expect(acksAfterKill).toBe(0);
    expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'held', detail: expect.stringContaining('fenced') });
  });

  it('when the mirror is promoted while the old primary\'s agent is frozen, the lease guard ends the old primary before the new one serves', async () => {
    // Given a replicated volume, a writer, and the primary's lease guard as its own process
    const { volumeId, keys, primary, mirror, client } = await replicatedVolume();
    guard = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts', 'lease-guard', '--lease-file', hostA.lease.file], { stdio: 'ignore' });
    await waitUntil(() => hostA.lease.isGuarded(primary.copyId), 10_000, 'the primary to be guarded');
    const log = path.join(hostA.dataDir, 'promoted.log');
    startWriter(primary, client, log);
    await waitUntil(() => acksIn(log).length > 500, 30_000, 'the writer to get 500 acknowledgements');
    const oldPrimaryPid = hostA.copies.servedCopy(primary.copyId)!.daemon.pid!;

    // When A's agent is frozen (its fault handling stops) and the control plane promotes B
    hostA.faults.stop();
    const promoteStarted = Date.now();
    const promoted = await hostB.run('promote-copy', { volumeId, copyId: mirror.copyId, generation: 2, clientKey: keys.clientKey });
    const promotedAt = Date.now();

    // Then the old primary's daemon was killed by its guard before the new primary answered
    expect(promoted).toMatchObject({ status: 'succeeded', result: { nbd: { exportName: volumeId } } });
    expect((await daemonPidsUnder(hostA.dataDir)).includes(oldPrimaryPid)).toBe(false);
    const acksAfterPromotion = acksIn(log).filter((ack) => ack.at > promoteStarted + 50).length;
    await stopWriter(log);
    // And every write the old primary acknowledged is on the new primary
    const onNewPrimary = await verifyFile(fileOf(hostB, mirror.copyId), log);
    console.log(`frozen primary agent: promotion took ${promotedAt - promoteStarted} ms (lease ${hostA.lease.leaseMs} ms); ${acksAfterPromotion} acks on the old primary after it began; ${onNewPrimary.lost} of ${onNewPrimary.acked} lost`);
    expect(acksAfterPromotion).toBe(0);
    expect(onNewPrimary).toMatchObject({ lost: 0 });
    expect(promotedAt - promoteStarted).toBeGreaterThanOrEqual(hostA.lease.leaseMs);
    await qemuIoTls({ host: network.b.address, port: mirror.nbd.port, exportName: volumeId }, client, ['read 0 4k'], { netns: network.a.netns, timeoutMs: 20_000 });
    expect(hostB.copies.reports().find((copy) => copy.copyId === mirror.copyId)).toMatchObject({ role: CopyRole.Primary, generation: 2 });
  });
});
