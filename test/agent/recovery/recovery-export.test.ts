/**
 * The admin (recovery) export of a copy held after a restart, with a real qemu-storage-daemon
 * and real qemu-io clients over TLS-PSK: read-only, opened by the recovery key only (not by the
 * volume's client key, so client I/O stays paused), closed at expiry and when the copy is served.
 */
import * as path from 'node:path';
import { TestHost, createCopyPayload, daemonPidsUnder, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { type CopyEndpoint, makeTlsClient, qemuIoFile, qemuIoTls, tcpConnect } from '../helpers/nbd-clients';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';

jest.setTimeout(180_000);

const inSeconds = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the admin export of a copy held in recovery', () => {
  let before: TestHost | undefined;
  let after: TestHost | undefined;
  const volumeId = newVolumeId();
  const keys = volumeKeys(volumeId);
  const recoveryKey = generatePskKey(`recovery-${volumeId.slice(4)}-1`);
  let primary: CopyEndpoint;
  let dataPath: string;

  beforeAll(async () => {
    // Given: a primary with known data, then the agent restarted: the copy is held
    before = await TestHost.create();
    primary = ((await before.run('create-copy', createCopyPayload(volumeId, keys, { role: 'primary', generation: 4 }))) as unknown as { result: CopyEndpoint }).result;
    const client = await makeTlsClient(path.join(before.dataDir, 'test-clients', 'client'), keys.clientKey);
    await qemuIoTls({ host: '127.0.0.1', port: primary.nbd.port, exportName: volumeId }, client, ['write -P 0x5a 0 1M', 'write -P 0xa5 3M 1M']);
    await before.stopAgent();
    after = await TestHost.create({ reuse: before });
    dataPath = after.copies.describe(primary.copyId)!.dataPath;
  });

  afterAll(async () => {
    await after?.destroy();
    await before?.destroy();
  });

  const target = () => ({ host: '127.0.0.1', port: primary.nbd.port, exportName: `${volumeId}.recovery` });
  const clientWith = (name: string, key = recoveryKey) => makeTlsClient(path.join(after!.dataDir, 'test-clients', name), key);
  const open = (payload: Record<string, unknown>) =>
    after!.run('open-recovery-access', { volumeId, copyId: primary.copyId, generation: 4, expiresAt: inSeconds(600), ...payload });

  it('when the command comes without a key (the access no longer holds), nothing opens', async () => {
    const outcome = await open({});
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'RecoveryAccessRefused' } });
    expect(await tcpConnect(primary.nbd.port)).toBe('ECONNREFUSED');
    expect(await daemonPidsUnder(after!.dataDir)).toEqual([]);
  });

  it('when the access already expired, nothing opens', async () => {
    const outcome = await open({ recoveryKey, expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'RecoveryAccessRefused' } });
    expect(await tcpConnect(primary.nbd.port)).toBe('ECONNREFUSED');
  });

  it('when it is opened with the recovery key, the held copy is readable through <volumeId>.recovery on the copy\'s port', async () => {
    // When
    const outcome = await open({ recoveryKey });
    // Then
    expect(outcome).toMatchObject({ status: 'succeeded', result: { copyId: primary.copyId, nbd: { address: '127.0.0.1', port: primary.nbd.port, exportName: `${volumeId}.recovery` }, readOnly: true } });
    await qemuIoTls(target(), await clientWith('admin'), ['read -P 0x5a 0 1M', 'read -P 0 1M 2M', 'read -P 0xa5 3M 1M'], { readOnly: true });
    expect(after!.copies.reports()).toContainEqual(expect.objectContaining({ copyId: primary.copyId, state: 'held' }));
  });

  it('when the admin writes through the export, the write is refused and the copy is unchanged', async () => {
    await expect(qemuIoTls(target(), await clientWith('admin-w'), ['write -P 0xff 0 64k'])).rejects.toThrow();
    await expect(qemuIoTls(target(), await clientWith('admin-w2'), ['write -P 0xff 0 64k'], { readOnly: true })).rejects.toThrow(/read-only/i);
    await qemuIoFile(dataPath, ['read -P 0x5a 0 1M']);
  });

  it('when another key is presented (a made-up one, or the volume\'s client key), the TLS handshake is refused', async () => {
    await expect(qemuIoTls(target(), await clientWith('stranger', generatePskKey(recoveryKey.identity)), ['read 0 4k'], { readOnly: true, timeoutMs: 20_000 })).rejects.toThrow();
    await expect(qemuIoTls(target(), await clientWith('tenant', keys.clientKey), ['read 0 4k'], { readOnly: true, timeoutMs: 20_000 })).rejects.toThrow();
    await expect(qemuIoTls({ ...target(), exportName: volumeId }, await clientWith('tenant-2', keys.clientKey), ['read 0 4k'], { readOnly: true, timeoutMs: 20_000 })).rejects.toThrow();
  });

  it('when a new grant comes for the open export, the new key opens it and the old one no longer does', async () => {
    const nextKey = generatePskKey(`recovery-${volumeId.slice(4)}-2`);
    const outcome = await open({ recoveryKey: nextKey });
    expect(outcome).toMatchObject({ status: 'succeeded' });
    await qemuIoTls(target(), await clientWith('admin-next', nextKey), ['read -P 0x5a 0 1M'], { readOnly: true });
    await expect(qemuIoTls(target(), await clientWith('admin-old'), ['read 0 4k'], { readOnly: true, timeoutMs: 20_000 })).rejects.toThrow();
  });

  it('when expiresAt passes, the export closes and its daemon quits; the copy stays held', async () => {
    // Given: a grant that ends in 3 s
    const shortKey = generatePskKey(`recovery-${volumeId.slice(4)}-3`);
    expect(await open({ recoveryKey: shortKey, expiresAt: inSeconds(3) })).toMatchObject({ status: 'succeeded' });
    await qemuIoTls(target(), await clientWith('admin-short', shortKey), ['read -P 0x5a 0 1M'], { readOnly: true });
    // When
    await sleep(4_500);
    // Then
    expect(after!.copies.recoveryExportOpen(primary.copyId)).toBe(false);
    expect(await tcpConnect(primary.nbd.port)).toBe('ECONNREFUSED');
    expect(await daemonPidsUnder(after!.dataDir)).toEqual([]);
    expect(after!.copies.reports()).toContainEqual(expect.objectContaining({ copyId: primary.copyId, state: 'held' }));
  });

  it('when the recovery is decided and resume-copy serves the copy, the admin export closes first and clients get the volume again', async () => {
    // Given: an open admin export
    expect(await open({ recoveryKey })).toMatchObject({ status: 'succeeded' });
    // When
    const outcome = await after!.run('resume-copy', { volumeId, copyId: primary.copyId, role: 'primary', generation: 5, clientKey: keys.clientKey, replicationKey: keys.replicationKey });
    // Then
    expect(outcome).toMatchObject({ status: 'succeeded', result: primary });
    expect(after!.copies.recoveryExportOpen(primary.copyId)).toBe(false);
    await qemuIoTls({ host: '127.0.0.1', port: primary.nbd.port, exportName: volumeId }, await clientWith('tenant-back', keys.clientKey), ['read -P 0x5a 0 1M']);
    await expect(qemuIoTls(target(), await clientWith('admin-after'), ['read 0 4k'], { readOnly: true, timeoutMs: 20_000 })).rejects.toThrow();
    // and a served copy gets no admin export
    expect(await open({ recoveryKey })).toMatchObject({ status: 'failed', error: { code: 'InvalidCopyState' } });
  });
});
