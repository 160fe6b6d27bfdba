/**
 * A copy on a real loop-device filesystem, exported by its own qemu-storage-daemon over NBD
 * with TLS-PSK, read and written with real NBD clients (qemu-io, nbdinfo).
 */
import * as path from 'node:path';
import { CopyStore } from '../../../agent/copies/copy-store';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { runCommand } from '../../../agent/util/run-command';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { TlsClient, fileMode, makeTlsClient, nbdinfoSize, nbdsUri, qemuIoFile, qemuIoPlain, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(120_000);

describe('copy export over NBD with TLS-PSK', () => {
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem;
  let store: CopyStore;
  let volumeA: ServedTestCopy;
  let volumeB: ServedTestCopy;
  let clientA: TlsClient;
  let clientB: TlsClient;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') });
    const keyA = generatePskKey('tenant-a');
    const keyB = generatePskKey('tenant-b');
    clientA = await makeTlsClient(path.join(fsys.root, 'client-a'), keyA);
    clientB = await makeTlsClient(path.join(fsys.root, 'client-b'), keyB);
    volumeA = await createAndServe(store, reaper, copySpec({ sizeBytes: 64 * MiB }), { clientKeys: [keyA] });
    volumeB = await createAndServe(store, reaper, copySpec({ sizeBytes: 32 * MiB }), { clientKeys: [keyB] });
  });

  afterAll(async () => {
    await reaper.stopAll();
    await volumeA?.copy.release();
    await volumeB?.copy.release();
    await fsys?.destroy();
  });

  it('when a client holding the volume key writes, it reads the data back and the data is in the copy file', async () => {
    // Act
    await qemuIoTls(volumeA.target, clientA, ['write -P 0x5a 1M 1M', 'write -P 0xa5 63M 4k']);
    // Assess
    await qemuIoTls(volumeA.target, clientA, ['read -P 0x5a 1M 1M', 'read -P 0xa5 63M 4k', 'read -P 0 0 1M']);
    await qemuIoFile(volumeA.copy.dataPath, ['read -P 0x5a 1M 1M', 'read -P 0xa5 63M 4k']);
    expect(await nbdinfoSize(nbdsUri(volumeA.target, clientA))).toBe(64 * MiB);
  });

  it('when the copy is created, its data file is fully preallocated and its keys file is private', async () => {
    const { stdout } = await runCommand('stat', ['-c', '%s %b %B', volumeA.copy.dataPath]);
    const [size, blocks, blockSize] = stdout.trim().split(' ').map(Number);
    expect(size).toBe(64 * MiB);
    expect(blocks * blockSize).toBeGreaterThanOrEqual(64 * MiB);
    expect(await fileMode(path.join(volumeA.copy.tlsServerDir, 'keys.psk'))).toBe(0o600);
    expect(await fileMode(volumeA.copy.tlsServerDir)).toBe(0o700);
  });

  it('when a client connects without TLS, it is refused', async () => {
    await expect(qemuIoPlain(volumeA.target, ['read 0 4k'])).rejects.toThrow(/TLS/);
  });

  it("when a client presents another volume's valid key, it is refused by this volume's daemon", async () => {
    // Prepare: clientB's key is valid, but only on volume B's daemon
    await qemuIoTls(volumeB.target, clientB, ['read 0 4k']);
    // Act + Assess (one client at a time, each awaited, so no rejection goes unhandled)
    await expect(qemuIoTls(volumeA.target, clientB, ['read 0 4k'])).rejects.toThrow(/TLS|handshake/i);
    await expect(nbdinfoSize(nbdsUri(volumeA.target, clientB))).rejects.toThrow(/tls|handshake|gnutls/i);
  });

  it('when the access list is replaced, the new key works at the next handshake and the removed one is refused', async () => {
    // Prepare
    const rotated = generatePskKey('tenant-a-2');
    const rotatedClient = await makeTlsClient(path.join(fsys.root, 'client-a2'), rotated);
    // Act
    await volumeA.served.runtime.replaceClientKeys([rotated]);
    // Assess
    await qemuIoTls(volumeA.target, rotatedClient, ['read -P 0x5a 1M 4k']);
    await expect(qemuIoTls(volumeA.target, clientA, ['read 0 4k'])).rejects.toThrow(/TLS|handshake/i);
    await volumeA.served.runtime.replaceClientKeys([clientA.key]);
  });
});
