/**
 * Bad requests are refused with a typed error that says what is wrong, and change nothing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { assertValidNodeName, deriveNodeNames } from '../../../agent/copies/node-names';
import { ReplicaStatus } from '../../../agent/copies/replica-status';
import { buildThrottleLimits } from '../../../agent/copies/throttle-limits';
import {
  CopyAlreadyExistsError,
  CopyLockedError,
  CopyMetadataCorruptError,
  CopyNotFoundError,
  InvalidCopySpecError,
  InvalidNodeNameError,
  InvalidPskKeyError,
  MirrorTargetSizeMismatchError,
  MirrorTargetUnreachableError,
} from '../../../agent/errors';
import { generatePskKey, writePskKeysFile } from '../../../agent/tls/psk-keys-file';
import { runCommand } from '../../../agent/util/run-command';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, copySpec, createAndServe } from '../helpers/copy-fixture';
import { freePort } from '../helpers/nbd-clients';

jest.setTimeout(120_000);

describe('bad inputs', () => {
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem;
  let store: CopyStore;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') });
  });

  afterAll(async () => {
    await reaper.stopAll();
    await fsys?.destroy();
  });

  it('when the size is 0, creation is refused with the field, the value and what is allowed, and nothing is left behind', async () => {
    // Act
    const attempt = store.create(copySpec({ sizeBytes: 0, copyId: 'copy-size-zero' }));
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidCopySpecError);
    await expect(attempt).rejects.toMatchObject({ field: 'sizeBytes', received: 0, message: expect.stringMatching(/positive multiple of 4096/) });
    await expect(fs.access(path.join(store.dataDir, 'copy-size-zero'))).rejects.toThrow();
  });

  it.each([
    ['a size not aligned to 4096', { sizeBytes: 1000 }, 'sizeBytes'],
    ['negative IOPS', { iops: -1 }, 'iops'],
    ['a copy id with a slash', { copyId: '../escape' }, 'copyId'],
    ['an unknown role', { role: 'leader' as CopyRole }, 'role'],
    ['a fractional generation', { generation: 1.5 }, 'generation'],
  ])('when the spec has %s, creation is refused with InvalidCopySpecError', async (_label, overrides, field) => {
    await expect(store.create(copySpec(overrides))).rejects.toMatchObject({ name: 'InvalidCopySpecError', field });
  });

  it('when the copy does not exist, opening it is refused with CopyNotFoundError', async () => {
    await expect(store.open('copy-that-never-was')).rejects.toBeInstanceOf(CopyNotFoundError);
  });

  it('when a copy is already locked, a second lock is refused with CopyLockedError naming the holder, and works after release', async () => {
    // Prepare
    const spec = copySpec({ sizeBytes: 4 * MiB });
    const first = await store.create(spec);
    // Act
    const second = store.open(spec.copyId);
    // Assess
    await expect(second).rejects.toBeInstanceOf(CopyLockedError);
    await expect(second).rejects.toMatchObject({ holder: expect.stringContaining(`pid ${process.pid}`) });
    await expect(store.create(spec)).rejects.toBeInstanceOf(CopyAlreadyExistsError);
    // another process is refused too (flock exits 1 when the lock is busy)
    await expect(runCommand('flock', ['--exclusive', '--nonblock', path.join(first.dir, 'lock'), 'true'])).rejects.toMatchObject({ exitCode: 1 });
    await first.release();
    const reopened = await store.open(spec.copyId);
    await expect(reopened.updateMetadata({ generation: 0 })).rejects.toMatchObject({ name: 'InvalidCopySpecError', field: 'generation' });
    await reopened.release();
  });

  it('when the metadata file is damaged, opening is refused with CopyMetadataCorruptError and the lock is given back', async () => {
    // Prepare
    const spec = copySpec({ sizeBytes: 4 * MiB });
    const copy = await store.create(spec);
    await copy.release();
    await fs.writeFile(copy.metadataPath, JSON.stringify({ ...copy.metadata, sizeBytes: -5 }));
    // Act
    const attempt = store.open(spec.copyId);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(CopyMetadataCorruptError);
    await expect(attempt).rejects.toThrow(/sizeBytes/);
    await fs.writeFile(copy.metadataPath, JSON.stringify(copy.metadata));
    await (await store.open(spec.copyId)).release();
  });

  it('when names, keys or limits break QEMU rules, they are refused before QEMU sees them', () => {
    expect(() => assertValidNodeName('v0a1b2c3d-4e5f-6789-abcd-ef0123456789')).toThrow(InvalidNodeNameError);
    expect(() => assertValidNodeName('0starts-with-digit')).toThrow(InvalidNodeNameError);
    expect(Object.values(deriveNodeNames('0a1b2c3d-4e5f-6789-abcd-ef0123456789')).every((name) => name.length <= 31)).toBe(true);
    expect(() => generatePskKey('has:colon')).toThrow(InvalidPskKeyError);
    return Promise.all([
      expect(writePskKeysFile(path.join(fsys.root, 'psk'), [{ identity: 'a', keyHex: 'abc' }])).rejects.toBeInstanceOf(InvalidPskKeyError),
      expect(Promise.resolve().then(() => buildThrottleLimits({ iopsTotal: 0, iopsSizeBytes: 4096 }))).rejects.toBeInstanceOf(InvalidCopySpecError),
    ]);
  });

  it('when the mirror target is unreachable or of another size, startMirror is refused and the replica stays detached', async () => {
    // Prepare
    const key = generatePskKey('replication');
    const source = await createAndServe(store, reaper, copySpec({ sizeBytes: 8 * MiB }), { clientKeys: [generatePskKey('tenant')] });
    const smaller = await createAndServe(store, reaper, copySpec({ sizeBytes: 4 * MiB }), { clientKeys: [key] });
    const closedPort = await freePort();
    // Act
    const unreachable = source.served.runtime.startMirror({ address: { type: 'inet', host: '127.0.0.1', port: closedPort }, exportName: 'x', key });
    // Assess
    await expect(unreachable).rejects.toBeInstanceOf(MirrorTargetUnreachableError);
    const mismatch = source.served.runtime.startMirror({ address: { type: 'inet', host: '127.0.0.1', port: smaller.target.port }, exportName: smaller.target.exportName, key });
    await expect(mismatch).rejects.toBeInstanceOf(MirrorTargetSizeMismatchError);
    await expect(mismatch).rejects.toMatchObject({ targetSizeBytes: 4 * MiB, sourceSizeBytes: 8 * MiB });
    expect(source.served.runtime.replicaStatus).toBe(ReplicaStatus.Detached);
    expect((await source.served.runtime.observe()).nodeNames).not.toContain(source.copy.metadata.nodeNames.peer);
    await source.copy.release();
    await smaller.copy.release();
  });
});
