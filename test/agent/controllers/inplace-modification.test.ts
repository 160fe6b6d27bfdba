/**
 * In-place modifications on a replicated pair of real qemu-storage-daemons (issue 8): the
 * IOPS limit through desired state and reconcile, and the replicated grow of qemu-7.2 §4
 * (quiesce-replication on the primary, resize-copy on the mirror, then on the primary), with
 * a writer that logs every acknowledged write and reconnects, before and after. The two hosts
 * are network namespaces with quickack (loopback TCP would stall on delayed ACKs, qemu-7.2 §0.2);
 * every client runs in the primary's namespace.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GiB } from '../../../agent/devices/managed-disk';
import { runCommand } from '../../../agent/util/run-command';
import { CopyEndpoint, TestHost, VolumeKeys, daemonPidsUnder, startReplicatedVolume } from '../helpers/agent-host';
import { measureQueuedWriteRate } from '../helpers/io-rate';
import { NetnsPair } from '../helpers/netns-pair';
import { ExportTarget, TlsClient, makeTlsClient, nbdsUri, qemuIoFile, qemuIoTls, sha256OfFileDirect } from '../helpers/nbd-clients';
import { WRITER, verifyFile } from '../helpers/acked-writer-log';

jest.setTimeout(300_000);

const MiB = 1024 * 1024;
/** Seconds of I/O per rate measurement; the limit times this is the number of operations. */
const MEASURE_SECONDS = 4;
const TOLERANCE = 0.15;

interface WriterLog {
  acked: number[];
  errors: number;
}

function readWriterLog(log: string): WriterLog {
  if (!existsSync(log)) return { acked: [], errors: 0 };
  const lines = readFileSync(log, 'utf8').split('\n');
  return {
    acked: lines.filter((line) => line.startsWith('k ')).map((line) => Number(line.split(' ')[2])),
    errors: lines.filter((line) => line.startsWith('e ')).length,
  };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a client connecting now (from `netns`) is told; undefined while the export is away. */
async function sizeSeenByNewClient(target: ExportTarget, client: TlsClient, netns: string): Promise<number | undefined> {
  try {
    return Number((await runCommand('ip', ['netns', 'exec', netns, 'nbdinfo', '--size', nbdsUri(target, client)], { timeoutMs: 5_000 })).stdout.trim());
  } catch {
    return undefined;
  }
}

describe('in-place modifications of a replicated volume', () => {
  let network: NetnsPair;
  let hostA: TestHost;
  let hostB: TestHost;
  let restarted: TestHost | undefined;
  let writer: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  const created: Array<[() => TestHost, string, string]> = [];

  beforeAll(async () => {
    network = await NetnsPair.create();
    const ports = { first: 10800, last: 10819 };
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports });
  });

  afterEach(async () => {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    writer = undefined;
    if (guard && guard.exitCode === null) guard.kill('SIGKILL');
    guard = undefined;
    for (const [host, volumeId, copyId] of created.splice(0)) await host().run('delete-copy', { volumeId, copyId });
  });

  afterAll(async () => {
    await restarted?.destroy();
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  async function replicatedVolume(): Promise<{ volumeId: string; keys: VolumeKeys; primary: CopyEndpoint; mirror: CopyEndpoint; client: TlsClient; target: ExportTarget }> {
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    created.push([() => restarted ?? hostA, volumeId, primary.copyId], [() => hostB, volumeId, mirror.copyId]);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', volumeId), keys.clientKey);
    return { volumeId, keys, primary, mirror, client, target: { host: primary.nbd.address, port: primary.nbd.port, exportName: primary.nbd.exportName } };
  }

  function startWriter(target: ExportTarget, client: TlsClient, log: string): void {
    writer = spawn('ip', [
      'netns', 'exec', network.a.netns, '/usr/bin/python3', WRITER, 'write', '--host', target.host, '--port', String(target.port), '--export', target.exportName,
      '--identity', client.key.identity, '--psk-file', path.join(client.dir, 'keys.psk'), '--log', log, '--stop', `${log}.stop`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    writer.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`writer: ${chunk.toString()}`));
  }

  async function stopWriter(log: string): Promise<void> {
    await fs.writeFile(`${log}.stop`, '');
    const running = writer;
    if (running && running.exitCode === null) await new Promise((resolve) => running.once('exit', resolve));
  }

  const fileOf = (host: TestHost, copyId: string): string => host.copies.describe(copyId)!.dataPath;

  describe('IOPS', () => {
    it('when set-iops changes the limit of a writing volume, the new limit is enforced when the command answers and no write fails', async () => {
      // Given a replicated volume limited to 40 IOPS (both limits well below what the pair can
      // do: every write is flushed on the mirror's loop disk before it is answered)
      const { volumeId, primary, client, target } = await replicatedVolume();
      expect(await hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 1, iops: 40 })).toMatchObject({ status: 'succeeded' });
      const before = await measureQueuedWriteRate(target, client, 40 * MEASURE_SECONDS, hostA.dataDir, undefined, network.a.netns);
      // When the limit is raised to 100 while a writer writes
      const log = path.join(hostA.dataDir, `iops-${volumeId}.log`);
      startWriter(target, client, log);
      await waitUntil(() => readWriterLog(log).acked.length > 20, 30_000, 'the writer to write');
      const requested = Date.now();
      const outcome = await hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 1, iops: 100 });
      const enforcedMs = Date.now() - requested;
      const limits = await hostA.copies.servedCopy(primary.copyId)!.runtime.readThrottleLimits();
      await waitUntil(() => readWriterLog(log).acked.length > 100, 30_000, 'the writer to write after the change');
      await stopWriter(log);
      const after = await measureQueuedWriteRate(target, client, 100 * MEASURE_SECONDS, hostA.dataDir, undefined, network.a.netns);
      // Then the limit applies at once, the rate follows, and the writer saw no error
      console.log(`set-iops 40 -> 100: answered (limit enforced) in ${enforcedMs} ms; measured ${before.iops.toFixed(1)} -> ${after.iops.toFixed(1)} IOPS`);
      expect(outcome).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, iops: 100 } });
      expect(limits['iops-total']).toBe(100);
      expect(Math.abs(before.iops - 40) / 40).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(after.iops - 100) / 100).toBeLessThanOrEqual(TOLERANCE);
      expect(readWriterLog(log).errors).toBe(0);
    });

    it('when set-iops carries an older generation than the copy, it is refused with StaleGeneration and the limit stays', async () => {
      // Given a copy at generation 3 with 300 IOPS
      const { volumeId, primary } = await replicatedVolume();
      await hostA.copies.servedCopy(primary.copyId)!.copy.updateMetadata({ generation: 3 });
      expect(await hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 3, iops: 300 })).toMatchObject({ status: 'succeeded' });
      // When a set-iops of generation 2 arrives
      const outcome = await hostA.run('set-iops', { volumeId, copyId: primary.copyId, generation: 2, iops: 900 });
      // Then it is refused and nothing changed
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
      expect((await hostA.copies.servedCopy(primary.copyId)!.runtime.readThrottleLimits())['iops-total']).toBe(300);
      expect(hostA.copies.servedCopy(primary.copyId)!.copy.metadata.iops).toBe(300);
    });
  });

  describe('IOPS across an agent restart', () => {
    let single: TestHost | undefined;
    let again: TestHost | undefined;

    afterAll(async () => {
      await again?.destroy();
      await single?.destroy();
    });

    it('when the agent is killed after set-iops, the restarted agent serves the copy with that limit, and a set-iops while it is held applies when it is resumed', async () => {
      // Given a primary whose limit was changed to 700 IOPS
      single = await TestHost.create();
      const volumeId = `vol-${Date.now().toString(36)}`;
      const keys = { clientKey: { identity: 'client-iops', keyHex: 'a'.repeat(64) }, replicationKey: { identity: 'repl-iops', keyHex: 'b'.repeat(64) } };
      const created = await single.run('create-copy', { volumeId, copyId: 'cpy-iops', role: 'primary', sizeGiB: 1, type: 'ssd', iops: 100, generation: 1, clientKey: keys.clientKey, replicationKey: keys.replicationKey });
      expect(created).toMatchObject({ status: 'succeeded' });
      expect(await single.run('set-iops', { volumeId, copyId: 'cpy-iops', generation: 1, iops: 700 })).toMatchObject({ status: 'succeeded' });
      // When the agent is killed and a new one resumes the copy
      await single.crashAgent();
      again = await TestHost.create({ reuse: single });
      const resume = { volumeId, copyId: 'cpy-iops', role: 'primary', generation: 1, clientKey: keys.clientKey, replicationKey: keys.replicationKey };
      expect(await again.run('resume-copy', resume)).toMatchObject({ status: 'succeeded' });
      // Then the limit is 700
      expect((await again.copies.servedCopy('cpy-iops')!.runtime.readThrottleLimits())['iops-total']).toBe(700);
      // And a limit set while the copy is held (after another restart) applies at its resume
      await again.stopAgent();
      const third = await TestHost.create({ reuse: single });
      try {
        expect(await third.run('set-iops', { volumeId, copyId: 'cpy-iops', generation: 1, iops: 900 })).toMatchObject({ status: 'succeeded', result: { iops: 900 } });
        expect(third.copies.servedCopy('cpy-iops')).toBeUndefined();
        expect(await third.run('resume-copy', resume)).toMatchObject({ status: 'succeeded' });
        expect((await third.copies.servedCopy('cpy-iops')!.runtime.readThrottleLimits())['iops-total']).toBe(900);
        expect(await third.run('delete-copy', { volumeId, copyId: 'cpy-iops' })).toMatchObject({ status: 'succeeded' });
      } finally {
        await third.stopAgent();
      }
    });
  });

  describe('grow', () => {
    it('when a replicated volume grows under a writer, the writer reconnects, the new size is visible, and the mirror has every acknowledged write and the new last MiB', async () => {
      // Given a replicated 1 GiB volume and a writer that reconnects
      const { volumeId, keys, primary, mirror, client, target } = await replicatedVolume();
      const log = path.join(hostA.dataDir, `grow-${volumeId}.log`);
      startWriter(target, client, log);
      await waitUntil(() => readWriterLog(log).acked.length > 200, 30_000, 'the writer to write');

      // When the workflow's sequence runs: quiesce the primary, grow the mirror, grow the primary
      const started = Date.now();
      const quiesced = await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 });
      const quiescedAt = Date.now();
      const quiescedAgain = await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 });
      const ackedAtQuiesce = readWriterLog(log).acked.length;
      const seen = waitUntil(async () => (await sizeSeenByNewClient(target, client, network.a.netns)) === 2 * GiB, 60_000, 'a new client to see 2 GiB');
      const grownMirror = await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 2 });
      const primaryRequested = Date.now();
      const grownPrimary = await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2, replicationKey: keys.replicationKey });
      await seen;
      const visibleAt = Date.now();
      await waitUntil(() => readWriterLog(log).acked.length > ackedAtQuiesce + 200, 30_000, 'the writer to write after the resize');
      await stopWriter(log);
      await qemuIoTls(target, client, [`write -P 0x77 ${2 * GiB - MiB} 1M`], { netns: network.a.netns });

      // Then every step succeeded, the size is new on both copies and the data is on the mirror
      console.log(
        `grow 1 -> 2 GiB: quiesce ${quiescedAt - started} ms, mirror resize + primary resize until a reconnecting client saw 2 GiB ${visibleAt - quiescedAt} ms ` +
          `(primary resize request -> visible ${visibleAt - primaryRequested} ms); clients without an export for ${visibleAt - started} ms in all`,
      );
      expect(quiesced).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, quiesced: true, mirrorIdentical: true } });
      expect(quiescedAgain).toEqual(quiesced);
      expect(grownMirror).toEqual({ status: 'succeeded', result: { copyId: mirror.copyId, sizeGiB: 2 } });
      expect(grownPrimary).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, sizeGiB: 2 } });
      expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving' });
      expect((await fs.stat(fileOf(hostB, mirror.copyId))).size).toBe(2 * GiB);
      expect(await verifyFile(fileOf(hostB, mirror.copyId), log)).toMatchObject({ lost: 0 });
      await qemuIoFile(fileOf(hostB, mirror.copyId), [`read -P 0x77 ${2 * GiB - MiB} 1M`]);
      expect(await sha256OfFileDirect(fileOf(hostB, mirror.copyId))).toBe(await sha256OfFileDirect(fileOf(hostA, primary.copyId)));

      // And the resize commands again change nothing and answer the same
      expect(await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 2 })).toEqual(grownMirror);
      expect(await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2 })).toEqual(grownPrimary);
    });

    it("when a grow fails after the quiesce, the rollback's resize-copy of the primary at its size naming the mirror ends the quiesce: the writer writes again and every acknowledged write is on both copies", async () => {
      // Given a replicated 1 GiB volume under a writer, its primary quiesced for a grow whose mirror resize never answered
      const { volumeId, keys, primary, mirror, client, target } = await replicatedVolume();
      const log = path.join(hostA.dataDir, `rollback-${volumeId}.log`);
      startWriter(target, client, log);
      await waitUntil(() => readWriterLog(log).acked.length > 200, 30_000, 'the writer to write');
      expect(await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 })).toMatchObject({ status: 'succeeded' });
      const ackedAtQuiesce = readWriterLog(log).acked.length;

      // When the control plane rolls back (core/modification-steps.ts, reServeCommandOf), at-least-once: the command twice
      const reServe = { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 1, mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...mirror.nbd }, replicationKey: keys.replicationKey };
      const served = await hostA.run('resize-copy', reServe);
      expect(await hostA.run('resize-copy', reServe)).toEqual(served);

      // Then the primary serves at its size, replicating to the mirror, and the writer writes again
      expect(served).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, sizeGiB: 1 } });
      await waitUntil(() => readWriterLog(log).acked.length > ackedAtQuiesce + 200, 30_000, 'the writer to write after the rollback');
      expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
      await stopWriter(log);
      const acked = readWriterLog(log).acked.length;
      // And every acknowledged write is on both copies, neither of which grew
      const onA = await verifyFile(fileOf(hostA, primary.copyId), log);
      const onB = await verifyFile(fileOf(hostB, mirror.copyId), log);
      console.log(`rollback of a grow after the quiesce: ${acked - ackedAtQuiesce} acks after it; lost on A ${onA.lost} of ${onA.acked}, on B ${onB.lost} of ${onB.acked}`);
      expect(onA).toMatchObject({ lost: 0 });
      expect(onB).toMatchObject({ lost: 0 });
      expect((await fs.stat(fileOf(hostB, mirror.copyId))).size).toBe(GiB);
      expect(await sha256OfFileDirect(fileOf(hostB, mirror.copyId))).toBe(await sha256OfFileDirect(fileOf(hostA, primary.copyId)));
    });

    it('when resize-copy asks for less than the size, it is refused with ShrinkRefused and neither copy changes', async () => {
      // Given a replicated volume grown to 2 GiB
      const { volumeId, keys, primary, mirror, target, client } = await replicatedVolume();
      expect(await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 })).toMatchObject({ status: 'succeeded' });
      expect(await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 2 })).toMatchObject({ status: 'succeeded' });
      expect(await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2, replicationKey: keys.replicationKey })).toMatchObject({ status: 'succeeded' });
      // When either copy is asked to go back to 1 GiB
      const shrinkMirror = await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 1 });
      const shrinkPrimary = await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 1 });
      // Then both are refused, both copies keep 2 GiB and the volume keeps serving
      expect(shrinkMirror).toMatchObject({ status: 'failed', error: { code: 'ShrinkRefused' } });
      expect(shrinkPrimary).toMatchObject({ status: 'failed', error: { code: 'ShrinkRefused' } });
      for (const [host, copyId] of [[hostA, primary.copyId], [hostB, mirror.copyId]] as const) {
        expect((await fs.stat(fileOf(host, copyId))).size).toBe(2 * GiB);
        expect(await host.copies.servedCopy(copyId)!.runtime.observedSizeBytes()).toBe(2 * GiB);
        expect(host.copies.servedCopy(copyId)!.copy.metadata.sizeBytes).toBe(2 * GiB);
      }
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBe(2 * GiB);
      expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving' });
    });

    it('when a stale generation asks to quiesce or resize, it is refused with StaleGeneration and nothing changes', async () => {
      // Given a volume whose copies moved on to generation 2
      const { volumeId, primary, mirror, target, client } = await replicatedVolume();
      await hostA.copies.servedCopy(primary.copyId)!.copy.updateMetadata({ generation: 2 });
      // When commands of generation 1 arrive
      const quiesce = await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 });
      const resize = await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 0, sizeGiB: 2 });
      // Then both are refused and the volume still serves at 1 GiB
      expect(quiesce).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
      expect(resize).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBe(GiB);
      expect(hostA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving' });
    });

    it('when the primary is resized before it was quiesced, the resize is refused and the volume keeps serving', async () => {
      const { volumeId, primary, target, client } = await replicatedVolume();
      const outcome = await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2 });
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'InvalidCopyState' } });
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBe(GiB);
    });
  });

  describe('quiesced primary', () => {
    it('when the mirror\'s export is away longer than the lease while the primary is quiesced, the lease guard leaves the primary alone and no fault is raised', async () => {
      // Given a replicated volume whose primary is guarded by its lease guard (its own process)
      const { volumeId, keys, primary, mirror, target, client } = await replicatedVolume();
      guard = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts', 'lease-guard', '--lease-file', hostA.lease.file], { stdio: 'ignore' });
      await waitUntil(() => hostA.lease.isGuarded(primary.copyId), 10_000, 'the primary to be guarded');
      const primaryPid = hostA.copies.servedCopy(primary.copyId)!.daemon.pid!;
      const faultsBefore = hostA.consent.requests.length;
      // When the primary is quiesced and the mirror's export is gone for twice the lease
      expect(await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 })).toMatchObject({ status: 'succeeded' });
      expect(hostA.lease.isGuarded(primary.copyId)).toBe(false);
      await hostB.copies.servedCopy(mirror.copyId)!.runtime.removeExport();
      const awaySince = Date.now();
      await waitUntil(() => Date.now() - awaySince > 2 * hostA.lease.leaseMs, 3 * hostA.lease.leaseMs, 'twice the lease');
      // Then the primary's daemon lives, no consent was asked, and the resize finishes
      expect(await daemonPidsUnder(hostA.dataDir)).toContain(primaryPid);
      expect(hostA.consent.requests.length).toBe(faultsBefore);
      expect(await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 2 })).toMatchObject({ status: 'succeeded' });
      expect(await hostA.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2, replicationKey: keys.replicationKey })).toMatchObject({ status: 'succeeded' });
      await waitUntil(() => hostA.lease.isGuarded(primary.copyId), 10_000, 'the primary to be guarded again');
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBe(2 * GiB);
    });

    it('when the agent is killed between quiesce and resize, the restarted agent serves the copy quiesced and the resize finishes with every acknowledged write', async () => {
      // Given a replicated volume with acknowledged writes, quiesced
      const { volumeId, keys, primary, mirror, client, target } = await replicatedVolume();
      const log = path.join(hostA.dataDir, `restart-${volumeId}.log`);
      startWriter(target, client, log);
      await waitUntil(() => readWriterLog(log).acked.length > 200, 30_000, 'the writer to write');
      expect(await hostA.run('quiesce-replication', { volumeId, copyId: primary.copyId, generation: 1 })).toMatchObject({ status: 'succeeded' });
      await stopWriter(log);
      // When the primary's agent is killed and a new one starts on the same disks
      await hostA.crashAgent();
      restarted = await TestHost.create({ reuse: hostA });
      expect(restarted.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'held' });
      const resumed = await restarted.run('resume-copy', { volumeId, copyId: primary.copyId, role: 'primary', generation: 1, clientKey: keys.clientKey, replicationKey: keys.replicationKey });
      // Then the copy is served quiesced: no client export, reported so
      expect(resumed).toMatchObject({ status: 'succeeded' });
      expect(restarted.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'created', detail: expect.stringContaining('quiesced') });
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBeUndefined();
      // And the resize finishes from there (the key comes with the command)
      expect(await hostB.run('resize-copy', { volumeId, copyId: mirror.copyId, generation: 1, sizeGiB: 2 })).toMatchObject({ status: 'succeeded' });
      const grown = await restarted.run('resize-copy', { volumeId, copyId: primary.copyId, generation: 1, sizeGiB: 2, replicationKey: keys.replicationKey });
      expect(grown).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, sizeGiB: 2 } });
      expect(restarted.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving' });
      expect(await sizeSeenByNewClient(target, client, network.a.netns)).toBe(2 * GiB);
      await qemuIoTls(target, client, [`write -P 0x5a ${2 * GiB - MiB} 1M`], { netns: network.a.netns });
      expect(await verifyFile(fileOf(hostB, mirror.copyId), log)).toMatchObject({ lost: 0 });
      await qemuIoFile(fileOf(hostB, mirror.copyId), [`read -P 0x5a ${2 * GiB - MiB} 1M`]);
    });
  });
});
