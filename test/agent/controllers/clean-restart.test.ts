/**
 * A clean restart of both agents of a replicated volume (docs/recovery.md, "Clean restart"): the
 * primary's clean stop cuts its clients off and gives its mirror a final sync, recorded in its
 * copy.json; after the restart `resume-copy` serves the mirror again, and `resume-copy` with the
 * mirror serves the primary with no client until its mirror is READY again, `sync: none`, even
 * when the primary's agent is back before the mirror's. A writer logs every acknowledged write.
 * The hosts are network namespaces with quickack, as in inplace-modification.test.ts.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GiB } from '../../../agent/devices/managed-disk';
import { runCommand } from '../../../agent/util/run-command';
import { TestHost, startReplicatedVolume } from '../helpers/agent-host';
import { NetnsPair } from '../helpers/netns-pair';
import { makeTlsClient, qemuIoFile, qemuIoTls } from '../helpers/nbd-clients';
import { WRITER, verifyFile } from '../helpers/acked-writer-log';

jest.setTimeout(300_000);

const MiB = 1024 * 1024;
/** Far beyond what the writer reaches: a probe of whether the resumed primary copied its data over the mirror. */
const PROBE_OFFSET = GiB - MiB;

function ackedIn(log: string): number {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('k ')).length : 0;
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a clean restart of both agents of a replicated volume', () => {
  let network: NetnsPair;
  let hostA: TestHost;
  let hostB: TestHost;
  let restartedA: TestHost | undefined;
  let restartedB: TestHost | undefined;
  let writer: ChildProcess | undefined;

  beforeAll(async () => {
    network = await NetnsPair.create();
    const ports = { first: 10820, last: 10839 };
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports });
  });

  afterAll(async () => {
    if (writer && writer.exitCode === null) writer.kill('SIGKILL');
    await restartedA?.destroy();
    await restartedB?.destroy();
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  it('when the primary then the mirror stop cleanly and both come back, the primary resumes without a rebuild, after its mirror, and every acknowledged write is on both copies', async () => {
    // Given a replicated volume with a writer through the primary
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(hostA, hostB);
    const target = { host: primary.nbd.address, port: primary.nbd.port, exportName: primary.nbd.exportName };
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', volumeId), keys.clientKey);
    const log = path.join(hostA.dataDir, `clean-restart-${volumeId}.log`);
    writer = spawn('ip', [
      'netns', 'exec', network.a.netns, '/usr/bin/python3', WRITER, 'write', '--host', target.host, '--port', String(target.port), '--export', target.exportName,
      '--identity', client.key.identity, '--psk-file', path.join(client.dir, 'keys.psk'), '--log', log, '--stop', `${log}.stop`, '--deadline-seconds', '20',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitUntil(() => ackedIn(log) > 300, 30_000, 'the writer to write');

    // When the primary's agent stops cleanly while the writer writes, then the mirror's
    await hostA.stopAgent();
    await fs.writeFile(`${log}.stop`, '');
    const running = writer;
    if (running.exitCode === null) await new Promise((resolve) => running.once('exit', resolve));
    await hostB.stopAgent();

    // Then the primary's clean stop recorded that its mirror was identical
    const primaryJson = path.join(path.dirname(hostA.copies.describe(primary.copyId)!.dataPath), 'copy.json');
    expect(JSON.parse(await fs.readFile(primaryJson, 'utf8')).quiesced).toMatchObject({ generation: 1, mirrorIdentical: true, forCleanStop: true, mirror: mirror.nbd });
    // and the mirror holds every acknowledged write already
    const mirrorFile = hostB.copies.describe(mirror.copyId)!.dataPath;
    expect(await verifyFile(mirrorFile, log)).toMatchObject({ lost: 0 });
    // A probe only the mirror has: a full sync from the primary would overwrite it.
    await runCommand('qemu-io', ['-f', 'raw', '-t', 'none', mirrorFile, '-c', `write -P 0x77 ${PROBE_OFFSET} 1M`]);

    // When both agents start again and the primary is resumed before its mirror is
    restartedA = await TestHost.create({ reuse: hostA });
    restartedB = await TestHost.create({ reuse: hostB });
    const resumingPrimary = restartedA.run('resume-copy', {
      volumeId, copyId: primary.copyId, role: 'primary', generation: 1, clientKey: keys.clientKey, replicationKey: keys.replicationKey,
      mirror: { hostId: hostB.hostId, copyId: mirror.copyId, ...mirror.nbd },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(restartedA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'created', detail: expect.stringContaining('stopped cleanly') });
    const resumedMirror = await restartedB.run('resume-copy', { volumeId, copyId: mirror.copyId, role: 'mirror', generation: 1, replicationKey: keys.replicationKey });

    // Then the primary serves once its mirror is in sync, on the same endpoint, without a full sync
    expect(resumedMirror).toMatchObject({ status: 'succeeded' });
    expect(await resumingPrimary).toEqual({ status: 'succeeded', result: primary });
    expect(restartedA.copies.reports().find((copy) => copy.copyId === primary.copyId)).toMatchObject({ state: 'serving', generation: 1 });
    await qemuIoFile(mirrorFile, [`read -P 0x77 ${PROBE_OFFSET} 1M`]);
    expect(JSON.parse(await fs.readFile(primaryJson, 'utf8'))).not.toHaveProperty('quiesced');
    // and writes after the restart reach both copies
    await qemuIoTls(target, client, [`write -P 0x5b ${PROBE_OFFSET - MiB} 1M`], { netns: network.a.netns });
    await qemuIoFile(mirrorFile, [`read -P 0x5b ${PROBE_OFFSET - MiB} 1M`]);
    expect(await verifyFile(restartedA.copies.describe(primary.copyId)!.dataPath, log)).toMatchObject({ lost: 0 });
    expect(await verifyFile(mirrorFile, log)).toMatchObject({ lost: 0 });
  });

  it('when both agents die while their daemons serve (the primary\'s found first), the new agents stop the daemons cleanly, with the proof, and the primary resumes without a rebuild', async () => {
    // Given a replicated volume with acknowledged writes
    const { volumeId, keys, primary, mirror } = await startReplicatedVolume(restartedA!, restartedB!);
    const target = { host: primary.nbd.address, port: primary.nbd.port, exportName: primary.nbd.exportName };
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', `${volumeId}-crash`), keys.clientKey);
    await qemuIoTls(target, client, ['write -P 0x3d 0 4M'], { netns: network.a.netns });
    // When both agents die (their daemons keep running) and new ones start, the primary's first
    const crashedA = restartedA!;
    const crashedB = restartedB!;
    await crashedA.crashAgent();
    await crashedB.crashAgent();
    restartedA = await TestHost.create({ reuse: crashedA });
    restartedB = await TestHost.create({ reuse: crashedB });
    // Then both copies count as stopped cleanly, and the primary recorded its final sync to the mirror
    expect([restartedA.copies.stoppedCleanlyAtStart(primary.copyId), restartedB.copies.stoppedCleanlyAtStart(mirror.copyId)]).toEqual([true, true]);
    const primaryJson = path.join(path.dirname(restartedA.copies.describe(primary.copyId)!.dataPath), 'copy.json');
    expect(JSON.parse(await fs.readFile(primaryJson, 'utf8')).quiesced).toMatchObject({ generation: 1, mirrorIdentical: true, forCleanStop: true, mirror: mirror.nbd });
    const mirrorFile = restartedB.copies.describe(mirror.copyId)!.dataPath;
    await qemuIoFile(mirrorFile, ['read -P 0x3d 0 4M']);
    await runCommand('qemu-io', ['-f', 'raw', '-t', 'none', mirrorFile, '-c', `write -P 0x78 ${PROBE_OFFSET} 1M`]);
    // and resumed, the mirror first this time, the primary mirrors again without a full sync
    expect(await restartedB.run('resume-copy', { volumeId, copyId: mirror.copyId, role: 'mirror', generation: 1, replicationKey: keys.replicationKey })).toMatchObject({ status: 'succeeded' });
    const resumed = await restartedA.run('resume-copy', {
      volumeId, copyId: primary.copyId, role: 'primary', generation: 1, clientKey: keys.clientKey, replicationKey: keys.replicationKey,
      mirror: { hostId: restartedB.hostId, copyId: mirror.copyId, ...mirror.nbd },
    });
    expect(resumed).toEqual({ status: 'succeeded', result: primary });
    await qemuIoFile(mirrorFile, [`read -P 0x78 ${PROBE_OFFSET} 1M`]);
    await qemuIoTls(target, client, ['read -P 0x3d 0 4M'], { netns: network.a.netns });
  });
});
