/**
 * A primary and its mirror on two "hosts": two data directories on two loop devices, each
 * host's daemons in its own network namespace (joined by a veth pair), each host's copies
 * controlled by its own controllers, commands given through the command handler. Clients are
 * real qemu-io processes with TLS-PSK, run inside host A's namespace.
 */
import * as path from 'node:path';
import { TestHost, VolumeKeys, createCopyPayload, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { waitUntil } from '../helpers/copy-fixture';
import { NetnsPair } from '../helpers/netns-pair';
import { measureQueuedWriteRate } from '../helpers/io-rate';
import { TlsClient, makeTlsClient, qemuIoFile, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

interface Endpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

describe('replication between two hosts in two network namespaces', () => {
  let network: NetnsPair | undefined;
  let hostA: TestHost | undefined;
  let hostB: TestHost | undefined;
  const volumeId = newVolumeId();
  const keys: VolumeKeys = volumeKeys(volumeId);
  let primary: Endpoint;
  let mirror: Endpoint;
  let clientKey: TlsClient;
  let replicationKey: TlsClient;

  beforeAll(async () => {
    network = await NetnsPair.create();
    hostA = await TestHost.create({ address: network.a.address, netns: network.a.netns, ports: { first: 10800, last: 10809 } });
    hostB = await TestHost.create({ address: network.b.address, netns: network.b.netns, ports: { first: 10800, last: 10809 } });
    clientKey = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', 'client'), keys.clientKey);
    replicationKey = await makeTlsClient(path.join(hostA.dataDir, 'test-clients', 'replication'), keys.replicationKey);
  });

  afterAll(async () => {
    await hostA?.destroy();
    await hostB?.destroy();
    await network?.destroy();
  });

  const target = (endpoint: Endpoint) => ({ host: endpoint.nbd.address, port: endpoint.nbd.port, exportName: endpoint.nbd.exportName });
  const inA = () => ({ netns: network!.a.netns, timeoutMs: 20_000 });

  it('when create-copy builds a primary on A and a mirror on B, each listens on its host address in its namespace', async () => {
    // When
    const created = await Promise.all([
      hostA!.run('create-copy', createCopyPayload(volumeId, keys, { role: 'primary' })),
      hostB!.run('create-copy', createCopyPayload(volumeId, keys, { role: 'mirror' })),
    ]);
    // Then
    expect(created).toEqual([
      { status: 'succeeded', result: { copyId: expect.any(String), nbd: { address: network!.a.address, port: 10800, exportName: volumeId } } },
      { status: 'succeeded', result: { copyId: expect.any(String), nbd: { address: network!.b.address, port: 10800, exportName: `${volumeId}.g1` } } },
    ]);
    [primary, mirror] = created.map((outcome) => (outcome as unknown as { result: Endpoint }).result) as [Endpoint, Endpoint];
    await qemuIoTls(target(primary), clientKey, ['write -P 0x11 0 4M'], inA());
    expect(hostB!.copies.reports()).toEqual([{ volumeId, copyId: mirror.copyId, role: 'mirror', generation: 1, state: 'mirroring' }]);
  });

  it('when start-replication comes, it answers once the mirror is in sync, and the data written before is on the mirror file', async () => {
    // Given
    const payload = {
      volumeId,
      copyId: primary.copyId,
      generation: 1,
      mirror: { hostId: hostB!.hostId, copyId: mirror.copyId, ...mirror.nbd },
      replicationKey: keys.replicationKey,
      sync: 'full',
    };
    // When
    const outcome = await hostA!.run('start-replication', payload);
    // Then
    expect(outcome).toEqual({ status: 'succeeded', result: { copyId: primary.copyId, state: 'serving' } });
    await qemuIoFile(hostB!.copies.describe(mirror.copyId)!.dataPath, ['read -P 0x11 0 4M']);
    expect(hostA!.copies.reports()).toEqual([{ volumeId, copyId: primary.copyId, role: 'primary', generation: 1, state: 'serving' }]);

    // And the same command again answers at once, without a new sync
    const started = Date.now();
    expect(await hostA!.run('start-replication', payload)).toEqual(outcome);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('when a write is acknowledged through the primary export, it is on the mirror file immediately', async () => {
    const mirrorFile = hostB!.copies.describe(mirror.copyId)!.dataPath;
    for (let round = 1; round <= 5; round++) {
      // When: one acknowledged write (qemu-io exits only after the reply)
      const offset = `${8 + round * 2}M`;
      await qemuIoTls(target(primary), clientKey, [`write -P ${0x40 + round} ${offset} 64k`], inA());
      // Then: read at once from the mirror's file, bypassing the page cache
      await qemuIoFile(mirrorFile, [`read -P ${0x40 + round} ${offset} 64k`]);
    }
  });

  it('when promote-copy comes for the mirror, it serves clients only after the lease, the client key opens it and the replication key no longer does', async () => {
    // Given the control plane that promotes B refuses A's consent to continue alone from now on
    hostA!.consent.mode = 'refuse';
    // When
    const started = Date.now();
    const promoted = await hostB!.run('promote-copy', { volumeId, copyId: mirror.copyId, generation: 2, clientKey: keys.clientKey });
    // Then
    expect(promoted).toEqual({ status: 'succeeded', result: { ...mirror, nbd: { ...mirror.nbd, exportName: volumeId } } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(hostB!.lease.leaseMs);
    mirror = (promoted as unknown as { result: Endpoint }).result;
    await qemuIoTls(target(mirror), clientKey, ['read -P 0x11 0 4M', 'read -P 0x45 18M 64k', 'write -P 0x77 20M 64k'], inA());
    await expect(qemuIoTls(target(mirror), replicationKey, ['read 0 4k'], inA())).rejects.toThrow(/TLS|handshake|failed/i);
    expect(hostB!.copies.reports()).toEqual([{ volumeId, copyId: mirror.copyId, role: 'primary', generation: 2, state: 'created', detail: 'no mirror' }]);

    // And promoting again answers the same, at the same generation
    expect(await hostB!.run('promote-copy', { volumeId, copyId: mirror.copyId, generation: 2, clientKey: keys.clientKey })).toEqual(promoted);
    // And an older generation is refused
    expect(await hostB!.run('promote-copy', { volumeId, copyId: mirror.copyId, generation: 1, clientKey: keys.clientKey })).toMatchObject({
      status: 'failed',
      error: { code: 'StaleGeneration' },
    });
  });

  it('when the promoted mirror cut the old primary\'s replication session, the old primary is refused consent and fences itself: no client write is acknowledged', async () => {
    // When a client writes to the old primary, whose mirror export is gone
    await expect(qemuIoTls(target(primary), clientKey, ['write -P 0x21 24M 64k'], { ...inA(), timeoutMs: 60_000 })).rejects.toThrow();
    // Then the write was never acknowledged, and the old primary serves nobody
    await waitUntil(() => hostA!.copies.reports()[0]?.state === 'held', 30_000, 'the old primary to fence itself');
    expect(hostA!.copies.reports()[0]).toEqual({
      volumeId,
      copyId: primary.copyId,
      role: 'primary',
      generation: 1,
      state: 'held',
      detail: expect.stringContaining('fenced'),
    });
    await qemuIoTls(target(mirror), clientKey, ['read -P 0x77 20M 64k'], inA());
    await expect(qemuIoTls(target(mirror), clientKey, ['read -P 0x21 24M 64k'], inA())).rejects.toThrow();
  });

  it('when a replicated volume commits 200 IOPS, a client writing 16 at a time gets 200 IOPS within 10 % through primary and mirror', async () => {
    // Given: a second volume, both copies throttled at 200 IOPS, replicating
    const limited = newVolumeId();
    const limitedKeys = volumeKeys(limited);
    const [onA, onB] = (
      await Promise.all([
        hostA!.run('create-copy', createCopyPayload(limited, limitedKeys, { role: 'primary', iops: 200 })),
        hostB!.run('create-copy', createCopyPayload(limited, limitedKeys, { role: 'mirror', iops: 200 })),
      ])
    ).map((outcome) => (outcome as unknown as { result: Endpoint }).result) as [Endpoint, Endpoint];
    const replication = await hostA!.run('start-replication', {
      volumeId: limited,
      copyId: onA.copyId,
      generation: 1,
      mirror: { hostId: hostB!.hostId, copyId: onB.copyId, ...onB.nbd },
      replicationKey: limitedKeys.replicationKey,
      sync: 'none',
    });
    expect(replication).toMatchObject({ status: 'succeeded' });
    const client = await makeTlsClient(path.join(hostA!.dataDir, 'test-clients', 'limited'), limitedKeys.clientKey);
    // When
    const rate = await measureQueuedWriteRate(target(onA), client, 1000, hostA!.dataDir, 200, network!.a.netns);
    // Then
    console.log(`replicated, both copies throttled at 200 IOPS, QD16 4k over TLS between namespaces: ${rate.iops.toFixed(1)} IOPS`);
    expect(rate.iops).toBeGreaterThanOrEqual(180);
    expect(rate.iops).toBeLessThanOrEqual(220);
  });
});
