/**
 * The copy commands on one host (a real loop device formatted and mounted by the disks
 * controller, real qemu-storage-daemons, real NBD clients over TLS-PSK), through the command
 * handler exactly as the command loop calls it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readCopyMetadata } from '../../../agent/copies/copy-metadata';
import { TestHost, VolumeKeys, createCopyPayload, daemonPidsUnder, newCommandId, newCopyId, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

interface Endpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

describe('copy commands on one host', () => {
  let host: TestHost;
  let clientDir: string;

  beforeAll(async () => {
    host = await TestHost.create({ diskSizeBytes: 8 * 1024 ** 3 });
    clientDir = path.join(host.dataDir, 'test-clients');
  });

  afterAll(async () => {
    await host?.destroy();
  });

  async function clientFor(keys: VolumeKeys, which: 'clientKey' | 'replicationKey'): Promise<TlsClient> {
    return makeTlsClient(path.join(clientDir, keys[which].identity), keys[which]);
  }

  function target(endpoint: Endpoint) {
    return { host: endpoint.nbd.address, port: endpoint.nbd.port, exportName: endpoint.nbd.exportName };
  }

  function copyDirs(): Promise<string[]> {
    return fs.readdir(path.join(host.disks.disks[0]!.mountPoint!, 'copies'));
  }

  it('when create-copy comes twice with the same copyId, it answers the same endpoint both times and one daemon serves the copy', async () => {
    // Given
    const volumeId = newVolumeId();
    const keys = volumeKeys(volumeId);
    const payload = createCopyPayload(volumeId, keys, { iops: 0 });
    // When
    const first = await host.run('create-copy', payload);
    const second = await host.run('create-copy', payload);
    // Then
    expect(first).toEqual({ status: 'succeeded', result: { copyId: payload.copyId, nbd: { address: '127.0.0.1', port: expect.any(Number), exportName: volumeId } } });
    expect(second).toEqual(first);
    const row = host.copies.describe(payload.copyId as string)!;
    expect(await daemonPidsUnder(path.join(host.dataDir, 'run', payload.copyId as string))).toEqual([row.daemonPid]);
    const endpoint = (first as unknown as { result: Endpoint }).result;
    const client = await clientFor(keys, 'clientKey');
    await qemuIoTls(target(endpoint), client, ['write -P 0x5a 0 1M', 'read -P 0x5a 0 1M']);
    await expect(qemuIoTls(target(endpoint), await clientFor(keys, 'replicationKey'), ['read 0 4k'], { timeoutMs: 15_000 })).rejects.toThrow();
    expect(host.copies.reports()).toContainEqual({ volumeId, copyId: payload.copyId, role: 'primary', generation: 1, state: 'created', detail: 'no mirror' });
  });

  it('when the same command id is delivered again, the remembered outcome is answered and nothing runs again', async () => {
    // Given
    const volumeId = newVolumeId();
    const payload = createCopyPayload(volumeId, volumeKeys(volumeId));
    const commandId = newCommandId();
    const first = await host.run('create-copy', payload, commandId);
    await host.run('delete-copy', { volumeId, copyId: payload.copyId });
    // When: the create is delivered again after the copy was deleted
    const again = await host.run('create-copy', payload, commandId);
    // Then: the same answer, and the copy was not created a second time
    expect(again).toEqual(first);
    expect(host.copies.describe(payload.copyId as string)).toBeUndefined();
    expect(await copyDirs()).not.toContain(payload.copyId);
  });

  it('when set-iops comes, the copy\'s throttle and its metadata take the new limit', async () => {
    // Given
    const volumeId = newVolumeId();
    const payload = createCopyPayload(volumeId, volumeKeys(volumeId), { iops: 3000 });
    await host.run('create-copy', payload);
    // When
    const outcome = await host.run('set-iops', { volumeId, copyId: payload.copyId, iops: 750 });
    // Then
    expect(outcome).toEqual({ status: 'succeeded', result: { copyId: payload.copyId, iops: 750 } });
    const row = host.copies.describe(payload.copyId as string)!;
    expect((await readCopyMetadata(path.join(path.dirname(row.dataPath), 'copy.json'))).iops).toBe(750);
  });

  it('when delete-copy comes twice, the first deletes daemon, files and lock, and the second answers deleted false', async () => {
    // Given
    const volumeId = newVolumeId();
    const payload = createCopyPayload(volumeId, volumeKeys(volumeId));
    await host.run('create-copy', payload);
    const row = host.copies.describe(payload.copyId as string)!;
    // When
    const first = await host.run('delete-copy', { volumeId, copyId: payload.copyId });
    const second = await host.run('delete-copy', { volumeId, copyId: payload.copyId });
    // Then
    expect(first).toEqual({ status: 'succeeded', result: { copyId: payload.copyId, deleted: true } });
    expect(second).toEqual({ status: 'succeeded', result: { copyId: payload.copyId, deleted: false } });
    expect(await daemonPidsUnder(path.dirname(row.pidFile))).toEqual([]);
    await expect(fs.access(row.dataPath)).rejects.toThrow();
    expect(host.copies.reports().map((report) => report.copyId)).not.toContain(payload.copyId);
  });

  it.each([
    ['every field missing', {}, /volumeId/],
    ['a size given as a string', { sizeGiB: '1' }, /sizeGiB: Invalid input: expected number, received string/],
    ['a negative size', { sizeGiB: -1 }, /sizeGiB: Too small/],
    ['a size that is not whole', { sizeGiB: 1.5 }, /sizeGiB/],
    ['an unknown role', { role: 'witness' }, /role: Invalid option/],
    ['an unknown disk type', { type: 'tape' }, /type: Invalid option/],
    ['a primary without its client key', { clientKey: undefined }, /clientKeys: a primary needs clientKeys \(or clientKey\)/],
    ['a key that is not 64 hex digits', { replicationKey: { identity: 'repl-x', keyHex: 'abc' } }, /replicationKey.keyHex/],
    ['a copy id with a slash', { copyId: '../etc' }, /copyId: ids are/],
    ['negative IOPS', { iops: -5 }, /iops: Too small/],
  ])('when create-copy has %s, it is refused with InvalidPayload and the reason, and nothing is created', async (_case, change, reason) => {
    // Given
    const volumeId = newVolumeId();
    const valid = createCopyPayload(volumeId, volumeKeys(volumeId));
    const payload = Object.keys(change).length === 0 ? {} : { ...valid, ...change };
    const copiesBefore = await copyDirs();
    const daemonsBefore = await daemonPidsUnder(host.dataDir);
    // When
    const outcome = await host.run('create-copy', payload);
    // Then
    expect(outcome).toEqual({ status: 'failed', error: { code: 'InvalidPayload', message: expect.stringMatching(reason) } });
    expect(await copyDirs()).toEqual(copiesBefore);
    expect((await daemonPidsUnder(host.dataDir)).sort()).toEqual(daemonsBefore.sort());
    expect(host.copies.reports().map((report) => report.volumeId)).not.toContain(volumeId);
  });

  it.each([
    ['start-replication', { volumeId: 'vol-1', copyId: 'cpy-1', generation: 1, mirror: { hostId: 'h', copyId: 'c', address: '10.0.0.1', port: 70000, exportName: 'vol-1' }, replicationKey: { identity: 'r', keyHex: 'a'.repeat(64) }, sync: 'full' }, /mirror.port: Too big/],
    ['start-replication', { volumeId: 'vol-1', copyId: 'cpy-1', generation: 1, mirror: { hostId: 'h', copyId: 'c', address: '10.0.0.1', port: 10800, exportName: 'vol-1' }, replicationKey: { identity: 'r', keyHex: 'a'.repeat(64) }, sync: 'partial' }, /sync: Invalid option/],
    ['promote-copy', { volumeId: 'vol-1', copyId: 'cpy-1', generation: -1, clientKey: { identity: 'c', keyHex: 'a'.repeat(64) } }, /generation: Too small/],
    ['resume-copy', { volumeId: 'vol-1', copyId: 'cpy-1', role: 'primary', generation: 1, replicationKey: { identity: 'r', keyHex: 'a'.repeat(64) } }, /clientKeys: a primary needs clientKeys \(or clientKey\)/],
    ['delete-copy', { volumeId: 'vol-1' }, /copyId: Invalid input: expected string, received undefined/],
    ['set-iops', { volumeId: 'vol-1', copyId: 'cpy-1', iops: 'fast' }, /iops: Invalid input: expected number/],
    ['quiesce-replication', { volumeId: 'vol-1', copyId: 'cpy-1' }, /generation: Invalid input: expected number/],
    ['resize-copy', { volumeId: 'vol-1', copyId: 'cpy-1', generation: 1, sizeGiB: 0 }, /sizeGiB: Too small/],
    ['resize-copy', { volumeId: 'vol-1', copyId: 'cpy-1', generation: 1, sizeGiB: 1.5 }, /sizeGiB: Invalid input: expected int/],
  ])('when %s has a malformed payload, it is refused with InvalidPayload and the reason', async (type, payload, reason) => {
    // When
    const outcome = await host.run(type, payload);
    // Then
    expect(outcome).toEqual({ status: 'failed', error: { code: 'InvalidPayload', message: expect.stringMatching(reason) } });
  });

  it('when a command type is unknown, it is refused with UnknownCommand', async () => {
    expect(await host.run('grow-copy', { volumeId: 'vol-1', copyId: 'cpy-1' })).toEqual({
      status: 'failed',
      error: { code: 'UnknownCommand', message: expect.stringContaining('create-copy') },
    });
  });

  it('when a copy has generation 3, resume, promote and start-replication at generation 2 are refused with StaleGeneration and change nothing', async () => {
    // Given
    const volumeId = newVolumeId();
    const keys = volumeKeys(volumeId);
    const payload = createCopyPayload(volumeId, keys, { generation: 3 });
    const created = await host.run('create-copy', payload);
    const copyId = payload.copyId as string;
    const mirror = { hostId: 'other-host', copyId: newCopyId(), address: '127.0.0.1', port: 1, exportName: volumeId };
    // When
    const outcomes = await Promise.all([
      host.run('resume-copy', { volumeId, copyId, role: 'primary', generation: 2, clientKey: keys.clientKey, replicationKey: keys.replicationKey }),
      host.run('promote-copy', { volumeId, copyId, generation: 2, clientKey: keys.clientKey }),
      host.run('start-replication', { volumeId, copyId, generation: 2, mirror, replicationKey: keys.replicationKey, sync: 'full' }),
    ]);
    // Then
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ status: 'failed', error: { code: 'StaleGeneration', message: expect.stringContaining('generation 2 is older than') } });
    }
    expect(host.copies.reports()).toContainEqual(expect.objectContaining({ copyId, generation: 3, role: 'primary' }));
    expect(await host.run('create-copy', payload)).toEqual(created);
  });

  it('when no disk of the type has room, create-copy is refused with InsufficientSpace and nothing is created', async () => {
    // Given
    const volumeId = newVolumeId();
    const copiesBefore = await copyDirs();
    // When
    const tooBig = await host.run('create-copy', createCopyPayload(volumeId, volumeKeys(volumeId), { sizeGiB: 64 }));
    const noHdd = await host.run('create-copy', createCopyPayload(volumeId, volumeKeys(volumeId), { type: 'hdd' }));
    // Then
    expect(tooBig).toEqual({ status: 'failed', error: { code: 'InsufficientSpace', message: expect.stringMatching(/no healthy ssd disk has room for 68719476736 bytes: loop\d+ ok, [\d.]+ GiB free/) } });
    expect(noHdd).toEqual({ status: 'failed', error: { code: 'InsufficientSpace', message: expect.stringContaining('this host has no hdd disk') } });
    expect(await copyDirs()).toEqual(copiesBefore);
  });

  it('when a command names a copy this host does not hold, it is refused with CopyNotFound', async () => {
    const volumeId = newVolumeId();
    const keys = volumeKeys(volumeId);
    const copyId = newCopyId();
    expect(await host.run('set-iops', { volumeId, copyId, iops: 100 })).toMatchObject({ status: 'failed', error: { code: 'CopyNotFound' } });
    expect(await host.run('promote-copy', { volumeId, copyId, generation: 1, clientKey: keys.clientKey })).toMatchObject({ status: 'failed', error: { code: 'CopyNotFound' } });
  });

  it('when create-copy names an existing copy id for another volume, it is refused with CopyConflict and the copy is untouched', async () => {
    // Given
    const volumeId = newVolumeId();
    const payload = createCopyPayload(volumeId, volumeKeys(volumeId));
    const created = await host.run('create-copy', payload);
    const otherVolume = newVolumeId();
    // When
    const conflict = await host.run('create-copy', { ...createCopyPayload(otherVolume, volumeKeys(otherVolume)), copyId: payload.copyId });
    const deleteOther = await host.run('delete-copy', { volumeId: otherVolume, copyId: payload.copyId });
    // Then
    expect(conflict).toMatchObject({ status: 'failed', error: { code: 'CopyConflict' } });
    expect(deleteOther).toMatchObject({ status: 'failed', error: { code: 'CopyConflict' } });
    expect(await host.run('create-copy', payload)).toEqual(created);
  });
});
