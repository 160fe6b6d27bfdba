/**
 * Agent and daemon restart on the same copy files: the unclean-shutdown marker is found, the
 * copy reopens with its metadata intact, and every acknowledged write is still there.
 */
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { DaemonExit } from '../../../agent/qsd/storage-daemon';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe, serveCopy } from '../helpers/copy-fixture';
import { TlsClient, makeTlsClient, qemuIoTls } from '../helpers/nbd-clients';

jest.setTimeout(120_000);

describe('restart on the same copy files', () => {
  const reaper = new DaemonReaper();
  const key = generatePskKey('tenant');
  let fsys: LoopFilesystem;
  let store: CopyStore;
  let client: TlsClient;
  let served: ServedTestCopy | undefined;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') });
    client = await makeTlsClient(path.join(fsys.root, 'client'), key);
  });

  afterAll(async () => {
    await reaper.stopAll();
    await served?.copy.release();
    await fsys?.destroy();
  });

  it('when the daemon was SIGKILLed, the restarted daemon reports the unclean shutdown and the reopened copy has its data and metadata', async () => {
    // Prepare: a served copy with acknowledged writes, then a crash of daemon and agent
    const spec = copySpec({ sizeBytes: 32 * MiB, iops: 5000, role: CopyRole.Mirror, generation: 7 });
    served = await createAndServe(store, reaper, spec, { clientKeys: [key] });
    await served.copy.updateMetadata({ role: CopyRole.Primary, generation: 8 });
    const metadataBefore = served.copy.metadata;
    await qemuIoTls(served.target, client, ['write -P 0x61 0 1M', 'write -P 0x62 31M 1M']);
    const exited = new Promise<DaemonExit>((resolve) => served?.served.daemon.once('exited', resolve));
    process.kill(served.served.daemon.pid as number, 'SIGKILL');
    expect((await exited).expected).toBe(false);
    await served.copy.release(); // the agent died too: its lock went with it
    // Act
    const reopened = await store.open(spec.copyId);
    served = await serveCopy(reopened, reaper, { clientKeys: [key] });
    // Assess
    expect(served.served.startReport.previousShutdownUnclean).toBe(true);
    expect(reopened.metadata).toEqual(metadataBefore);
    expect(reopened.metadata).toMatchObject({ role: CopyRole.Primary, generation: 8, iops: 5000, sizeBytes: 32 * MiB });
    await qemuIoTls(served.target, client, ['read -P 0x61 0 1M', 'read -P 0x62 31M 1M', 'read -P 0 1M 30M']);
    expect(await store.list()).toEqual([metadataBefore]);
  });

  it('when the daemon is stopped cleanly, the marker is gone and the next start reports a clean shutdown', async () => {
    // Prepare
    const copy = served!.copy;
    // Act
    const stopped = await served!.served.stop();
    served = await serveCopy(copy, reaper, { clientKeys: [key] });
    // Assess
    expect(stopped.clean).toBe(true);
    expect(served.served.startReport.previousShutdownUnclean).toBe(false);
    await qemuIoTls(served.target, client, ['read -P 0x61 0 1M']);
  });
});
