/**
 * `set-client-keys` on one host (a real loop device, real qemu-storage-daemons, real NBD
 * clients over TLS-PSK): a primary admits exactly the keys of its volume's current
 * attachments, so a detached client's key stops opening the export.
 */
import * as path from 'node:path';
import { generatePskKey, type PskKey } from '../../../agent/tls/psk-keys-file';
import { TestHost, createCopyPayload, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

interface Endpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

describe('set-client-keys', () => {
  let host: TestHost;
  let clientDir: string;

  beforeAll(async () => {
    host = await TestHost.create({ diskSizeBytes: 4 * 1024 ** 3 });
    clientDir = path.join(host.dataDir, 'test-clients');
  });

  afterAll(async () => {
    await host?.destroy();
  });

  /** Whether a TLS-PSK client holding `key` can write to the export. */
  async function opens(endpoint: Endpoint, key: PskKey): Promise<boolean> {
    const client = await makeTlsClient(path.join(clientDir, key.identity), key);
    const target = { host: endpoint.nbd.address, port: endpoint.nbd.port, exportName: endpoint.nbd.exportName };
    return qemuIoTls(target, client, ['write -P 0x11 0 64k'], { timeoutMs: 15_000 }).then(
      () => true,
      () => false,
    );
  }

  async function primaryWithoutAttachments(generation = 1): Promise<{ volumeId: string; copyId: string; endpoint: Endpoint }> {
    const volumeId = newVolumeId();
    const { clientKey: _none, ...payload } = createCopyPayload(volumeId, volumeKeys(volumeId), { generation });
    const created = await host.run('create-copy', { ...payload, clientKeys: [] });
    expect(created.status).toBe('succeeded');
    return { volumeId, copyId: payload.copyId as string, endpoint: (created as unknown as { result: Endpoint }).result };
  }

  it('when keys are added and removed, the export admits exactly the current list', async () => {
    // Given a primary whose volume has no attachment yet: nobody gets in
    const { volumeId, copyId, endpoint } = await primaryWithoutAttachments();
    const first = generatePskKey(`client-${volumeId.slice(4)}-a`);
    const second = generatePskKey(`client-${volumeId.slice(4)}-b`);
    expect(await opens(endpoint, first)).toBe(false);

    // When the first attachment's key is set, then the second is added
    expect(await host.run('set-client-keys', { volumeId, copyId, generation: 1, clientKeys: [first] })).toMatchObject({ status: 'succeeded' });
    const bothOpen = [await opens(endpoint, first)];
    expect(await host.run('set-client-keys', { volumeId, copyId, generation: 1, clientKeys: [first, second] })).toEqual({
      status: 'succeeded',
      result: { copyId, identities: [first.identity, second.identity] },
    });
    bothOpen.push(await opens(endpoint, first), await opens(endpoint, second));

    // And the first is removed (its attachment ended)
    await host.run('set-client-keys', { volumeId, copyId, generation: 1, clientKeys: [second] });

    // Then
    expect(bothOpen).toEqual([true, true, true]);
    expect(await opens(endpoint, first)).toBe(false);
    expect(await opens(endpoint, second)).toBe(true);
  });

  it('when the command is for a mirror, from an older generation, or malformed, it is refused and the keys stay', async () => {
    // Given a primary at generation 2 admitting one key, and a mirror
    const { volumeId, copyId, endpoint } = await primaryWithoutAttachments(2);
    const key = generatePskKey(`client-${volumeId.slice(4)}-a`);
    await host.run('set-client-keys', { volumeId, copyId, generation: 2, clientKeys: [key] });
    const mirrorVolume = newVolumeId();
    const mirror = createCopyPayload(mirrorVolume, volumeKeys(mirrorVolume), { role: 'mirror' });
    await host.run('create-copy', mirror);
    // When
    const stale = await host.run('set-client-keys', { volumeId, copyId, generation: 1, clientKeys: [] });
    const onMirror = await host.run('set-client-keys', { volumeId: mirrorVolume, copyId: mirror.copyId, generation: 1, clientKeys: [key] });
    const malformed = await host.run('set-client-keys', { volumeId, copyId, generation: 2, clientKeys: [{ identity: 'x', keyHex: 'not-hex' }] });
    // Then
    expect(stale).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
    expect(onMirror).toMatchObject({ status: 'failed', error: { code: 'CopyRoleMismatch' } });
    expect(malformed).toMatchObject({ status: 'failed', error: { code: 'InvalidPayload' } });
    expect(await opens(endpoint, key)).toBe(true);
  });
});
