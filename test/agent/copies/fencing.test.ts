/**
 * Fencing a copy before another copy is promoted: the export goes away and the nodes are
 * reopened read-only, so QEMU itself refuses a writable export and clients cannot write.
 */
import * as path from 'node:path';
import { CopyStore } from '../../../agent/copies/copy-store';
import { CopyRuntimeStateError, QmpCommandError } from '../../../agent/errors';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(120_000);

describe('fencing a copy read-only', () => {
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem;
  let volume: ServedTestCopy;
  let client: TlsClient;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    const key = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), key);
    volume = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') }), reaper, copySpec({ sizeBytes: 16 * MiB }), {
      clientKeys: [key],
    });
    await qemuIoTls(volume.target, client, ['write -P 0x44 0 1M']);
  });

  afterAll(async () => {
    await reaper.stopAll();
    await volume?.copy.release();
    await fsys?.destroy();
  });

  it('when the copy is fenced, the export is gone and QEMU refuses a writable export', async () => {
    // Act
    await volume.served.runtime.fence();
    // Assess
    const observed = await volume.served.runtime.observe();
    expect(observed).toMatchObject({ rootReadOnly: true, export: undefined });
    await expect(volume.served.runtime.addExport()).rejects.toBeInstanceOf(CopyRuntimeStateError);
    const names = volume.copy.metadata.nodeNames;
    const direct = volume.served.daemon.qmp.execute('block-export-add', {
      type: 'nbd', id: names.export, 'node-name': names.root, name: volume.copy.volumeId, writable: true,
    });
    await expect(direct).rejects.toBeInstanceOf(QmpCommandError);
    await expect(direct).rejects.toMatchObject({ desc: expect.stringMatching(/read-only/) });
  });

  it('when a fenced copy is exported read-only, clients can read but not write', async () => {
    // Act
    await volume.served.runtime.addExport({ writable: false });
    // Assess
    await qemuIoTls(volume.target, client, ['read -P 0x44 0 1M'], { readOnly: true });
    await expect(qemuIoTls(volume.target, client, ['write -P 0x45 0 4k'])).rejects.toThrow(/Permission denied/);
    await expect(qemuIoTls(volume.target, client, ['write -P 0x45 0 4k'], { readOnly: true })).rejects.toThrow(/read-only/);
  });

  it('when the copy is unfenced, a writable export serves writes again', async () => {
    // Act
    await volume.served.runtime.removeExport();
    await volume.served.runtime.unfence();
    await volume.served.runtime.addExport();
    // Assess
    await qemuIoTls(volume.target, client, ['write -P 0x46 0 4k', 'read -P 0x46 0 4k']);
    expect((await volume.served.runtime.observe()).rootReadOnly).toBe(false);
  });
});
