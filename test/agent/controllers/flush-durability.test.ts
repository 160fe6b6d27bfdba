/**
 * Invariant 3 of docs/replication-safety.md: a write the primary acknowledges is on the
 * mirror's stable storage. QEMU 7.2's mirror filter does not forward a client's FLUSH to the
 * mirror, so the mirror's export is write-through: it flushes after every write before it
 * answers. Shown with the mirror disk's own flush counter (/sys/block/<loop>/stat, "flush I/Os
 * completed"), which counts the flushes that reach the device under the mirror's filesystem.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHost, startReplicatedVolume } from '../helpers/agent-host';
import { NetnsPair } from '../helpers/netns-pair';
import { makeTlsClient } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

const WRITER = path.resolve('test/agent/helpers/acked_writer.py');

/** Field 15 of the block layer's stat file: flush requests completed (kernel ≥ 5.5). */
async function deviceFlushes(device: string): Promise<number> {
  const fields = (await fs.readFile(`/sys/block/${path.basename(device)}/stat`, 'utf8')).trim().split(/\s+/).map(Number);
  if (fields.length < 17) throw new Error(`/sys/block/${path.basename(device)}/stat has no flush counters`);
  return fields[15] as number;
}

describe('flushed means durable on both hosts', () => {
  let network: NetnsPair;
  let hostA: TestHost;
  let hostB: TestHost;

  beforeAll(async () => {
    network = await NetnsPair.create();
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports: { first: 10800, last: 10809 } });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports: { first: 10800, last: 10809 } });
  });

  afterAll(async () => {
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  it('when a client writes through the primary, every acknowledged write was flushed to the mirror\'s disk before it was answered', async () => {
    // Given a replicated volume
    const { volumeId, keys, primary } = await startReplicatedVolume(hostA, hostB);
    const client = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', volumeId), keys.clientKey);
    const flushesBefore = await deviceFlushes(hostB.device.device);

    // When a client writes 300 blocks, one at a time, without ever asking for a flush
    const log = path.join(hostA.dataDir, 'flush.log');
    const writer = spawn('ip', [
      'netns', 'exec', network.a.netns, '/usr/bin/python3', WRITER, 'write', '--host', primary.nbd.address, '--port', String(primary.nbd.port),
      '--export', primary.nbd.exportName, '--identity', keys.clientKey.identity, '--psk-file', path.join(client.dir, 'keys.psk'),
      '--log', log, '--stop', `${log}.stop`, '--blocks', '300',
    ], { stdio: 'ignore' });
    await new Promise((resolve) => writer.once('exit', resolve));

    // Then the mirror's disk completed at least one flush per acknowledged write
    const acked = (await fs.readFile(log, 'utf8')).split('\n').filter((line) => line.startsWith('k ')).length;
    const flushes = (await deviceFlushes(hostB.device.device)) - flushesBefore;
    console.log(`${acked} acknowledged writes, ${flushes} flushes completed on the mirror's disk ${hostB.device.device}`);
    expect(acked).toBe(300);
    expect(flushes).toBeGreaterThanOrEqual(acked);
  });
});
