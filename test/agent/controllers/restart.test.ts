/**
 * An agent restart on the same data directory (the controllers built again on the same loop
 * device, as a new agent process builds them): every copy found is held, reported with its
 * role and generation, and not served, until the control plane says resume-copy or delete-copy.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHost, createCopyPayload, daemonPidsUnder, newCommandId, newVolumeId, volumeKeys } from '../helpers/agent-host';
import { type CopyEndpoint, makeTlsClient, qemuIoTls, tcpConnect } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

describe('an agent restarted on the same data directory', () => {
  let before: TestHost | undefined;
  let after: TestHost | undefined;
  const primaryVolume = newVolumeId();
  const mirrorVolume = newVolumeId();
  const primaryKeys = volumeKeys(primaryVolume);
  const mirrorKeys = volumeKeys(mirrorVolume);
  let primary: CopyEndpoint;
  let mirror: CopyEndpoint;

  beforeAll(async () => {
    // Given: a primary (generation 4) with data and a mirror of another volume (generation 2)
    before = await TestHost.create();
    const created = await Promise.all([
      before.run('create-copy', createCopyPayload(primaryVolume, primaryKeys, { role: 'primary', generation: 4, iops: 2000 })),
      before.run('create-copy', createCopyPayload(mirrorVolume, mirrorKeys, { role: 'mirror', generation: 2 })),
    ]);
    [primary, mirror] = created.map((outcome) => (outcome as unknown as { result: CopyEndpoint }).result) as [CopyEndpoint, CopyEndpoint];
    const client = await makeTlsClient(path.join(before.dataDir, 'test-clients', 'client'), primaryKeys.clientKey);
    await qemuIoTls({ host: '127.0.0.1', port: primary.nbd.port, exportName: primaryVolume }, client, ['write -P 0x3c 1M 1M']);
    // and an interrupted creation: a copy folder without metadata
    await fs.mkdir(path.join(before.disks.disks[0]!.mountPoint!, 'copies', 'cpy-interrupted'));
    // When: the agent stops and a new one starts on the same disks
    await before.stopAgent();
    after = await TestHost.create({ reuse: before });
  });

  afterAll(async () => {
    await after?.destroy();
    await before?.destroy();
  });

  it('when it starts, it reports every copy found as held with its role and generation', () => {
    expect(after!.copies.reports().sort((a, b) => a.generation - b.generation)).toEqual([
      { volumeId: mirrorVolume, copyId: mirror.copyId, role: 'mirror', generation: 2, state: 'held' },
      { volumeId: primaryVolume, copyId: primary.copyId, role: 'primary', generation: 4, state: 'held' },
    ]);
  });

  it('when a copy is held, no daemon serves it and an NBD connection to its port is refused', async () => {
    expect(await daemonPidsUnder(after!.dataDir)).toEqual([]);
    expect(await tcpConnect(primary.nbd.port)).toBe('ECONNREFUSED');
    expect(await tcpConnect(mirror.nbd.port)).toBe('ECONNREFUSED');
    expect(after!.copies.describe(primary.copyId)).not.toHaveProperty('daemonPid');
  });

  it('when it starts, an interrupted creation is removed', async () => {
    expect(await fs.readdir(path.join(after!.disks.disks[0]!.mountPoint!, 'copies'))).not.toContain('cpy-interrupted');
  });

  it('when a command issued before the host registered again would serve a held copy, it is refused with CommandExpired and the copy stays held', async () => {
    // Given: the control plane answered this agent's registration at `registeredAt`
    const registeredAt = new Date().toISOString();
    after!.handler.servingCommandsIssuedFrom(registeredAt);
    const issuedBefore = new Date(Date.parse(registeredAt) - 60_000).toISOString();
    // When: a resume-copy issued before the restart is delivered now
    const payload = { volumeId: primaryVolume, copyId: primary.copyId, role: 'primary', generation: 5, clientKey: primaryKeys.clientKey, replicationKey: primaryKeys.replicationKey };
    const outcome = await after!.run('resume-copy', payload, newCommandId(), issuedBefore);
    // Then
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'CommandExpired' } });
    expect(after!.copies.reports()).toContainEqual(expect.objectContaining({ copyId: primary.copyId, state: 'held' }));
    expect(await daemonPidsUnder(after!.dataDir)).toEqual([]);
  });

  it('when delete-copy carries an older generation than the copy has, the copy is kept (a replayed record never deletes a newer copy)', async () => {
    const outcome = await after!.run('delete-copy', { volumeId: primaryVolume, copyId: primary.copyId, generation: 3 });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
    expect(after!.copies.reports()).toContainEqual(expect.objectContaining({ copyId: primary.copyId, generation: 4 }));
  });

  it('when resume-copy comes at an older generation, it is refused with StaleGeneration and the copy stays held', async () => {
    const outcome = await after!.run('resume-copy', { volumeId: mirrorVolume, copyId: mirror.copyId, role: 'mirror', generation: 1, replicationKey: mirrorKeys.replicationKey });
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'StaleGeneration' } });
    expect(after!.copies.reports()).toContainEqual(expect.objectContaining({ copyId: mirror.copyId, state: 'held' }));
  });

  it('when resume-copy comes, the copy is served again on the same port at the new generation, with its data and IOPS limit', async () => {
    // When
    const outcome = await after!.run('resume-copy', {
      volumeId: primaryVolume,
      copyId: primary.copyId,
      role: 'primary',
      generation: 5,
      clientKey: primaryKeys.clientKey,
      replicationKey: primaryKeys.replicationKey,
    });
    // Then
    expect(outcome).toEqual({ status: 'succeeded', result: primary });
    const client = await makeTlsClient(path.join(after!.dataDir, 'test-clients', 'client-2'), primaryKeys.clientKey);
    await qemuIoTls({ host: '127.0.0.1', port: primary.nbd.port, exportName: primaryVolume }, client, ['read -P 0x3c 1M 1M']);
    expect(after!.copies.reports()).toContainEqual({ volumeId: primaryVolume, copyId: primary.copyId, role: 'primary', generation: 5, state: 'created', detail: 'no mirror' });
    const copyJson = JSON.parse(await fs.readFile(path.join(path.dirname(after!.copies.describe(primary.copyId)!.dataPath), 'copy.json'), 'utf8'));
    expect(copyJson).toMatchObject({ generation: 5, iops: 2000, nbdPort: primary.nbd.port });
  });

  it('when delete-copy comes for a held copy, it is deleted without ever being served', async () => {
    const outcome = await after!.run('delete-copy', { volumeId: mirrorVolume, copyId: mirror.copyId });
    expect(outcome).toEqual({ status: 'succeeded', result: { copyId: mirror.copyId, deleted: true } });
    expect(after!.copies.reports().map((report) => report.copyId)).toEqual([primary.copyId]);
  });
});
