/**
 * Per-volume IOPS limits through the copy's throttle group, measured with a real NBD client
 * (qemu-io over TLS-PSK, queued 4 KiB writes, rate from two timed runs; see io-rate.ts).
 */
import * as path from 'node:path';
import { CopyStore } from '../../../agent/copies/copy-store';
import { THROTTLE_LIMIT_FIELDS } from '../../../agent/copies/throttle-limits';
import { readCopyMetadata } from '../../../agent/copies/copy-metadata';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { measureQueuedWriteRate } from '../helpers/io-rate';
import { TlsClient, makeTlsClient } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

/** Seconds of I/O per measurement; the limit times this is the number of operations. */
const MEASURE_SECONDS = 5;
const TOLERANCE = 0.1;

describe('IOPS limit of a volume copy', () => {
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem;
  let volume: ServedTestCopy;
  let client: TlsClient;

  beforeAll(async () => {
    fsys = await LoopFilesystem.create();
    const store = new CopyStore({ dataDir: path.join(fsys.mountPoint, 'copies') });
    const key = generatePskKey('tenant');
    client = await makeTlsClient(path.join(fsys.root, 'client'), key);
    volume = await createAndServe(store, reaper, copySpec({ sizeBytes: 64 * MiB, iops: 300 }), { clientKeys: [key] });
  });

  afterAll(async () => {
    await reaper.stopAll();
    await volume?.copy.release();
    await fsys?.destroy();
  });

  it('when the copy is created with 300 IOPS, the client gets 300 IOPS within 10 %', async () => {
    // Act
    const rate = await measureQueuedWriteRate(volume.target, client, 300 * MEASURE_SECONDS, fsys.root);
    // Assess
    console.log(`limit 300: measured ${rate.iops.toFixed(1)} IOPS`);
    expect(Math.abs(rate.iops - 300) / 300).toBeLessThanOrEqual(TOLERANCE);
  });

  it('when a burst and iops-size policy is replaced by a plain limit, no field of the old policy survives', async () => {
    // Prepare: a policy with burst and iops-size, as a merge would keep them
    await volume.served.runtime.setThrottlePolicy({ iopsTotal: 100, iopsTotalBurst: 2000, iopsTotalBurstSeconds: 3, iopsSizeBytes: 65536 });
    // Act
    await volume.served.runtime.setIopsLimit(600);
    // Assess
    const limits = await volume.served.runtime.readThrottleLimits();
    expect(Object.keys(limits).sort()).toEqual([...THROTTLE_LIMIT_FIELDS].sort());
    expect(limits).toMatchObject({ 'iops-total': 600, 'iops-total-max': 0, 'iops-total-max-length': 1, 'iops-size': 0 });
    const rate = await measureQueuedWriteRate(volume.target, client, 600 * MEASURE_SECONDS, fsys.root);
    console.log(`limit 600 after a burst policy: measured ${rate.iops.toFixed(1)} IOPS`);
    expect(Math.abs(rate.iops - 600) / 600).toBeLessThanOrEqual(TOLERANCE);
  });

  it('when the limit is changed twice in a row (to unlimited, then to 250), both changes apply and the metadata follows', async () => {
    // Act: with a merging qom-set, 0 after an iops-size policy fails ("iops size requires an iops value")
    await volume.served.runtime.setThrottlePolicy({ iopsTotal: 100, iopsSizeBytes: 65536 });
    await volume.served.runtime.setIopsLimit(0);
    const unlimited = await volume.served.runtime.readThrottleLimits();
    await volume.served.runtime.setIopsLimit(250);
    // Assess
    expect(unlimited).toMatchObject({ 'iops-total': 0, 'iops-size': 0 });
    const rate = await measureQueuedWriteRate(volume.target, client, 250 * MEASURE_SECONDS, fsys.root);
    console.log(`limit 250 after unlimited: measured ${rate.iops.toFixed(1)} IOPS`);
    expect(Math.abs(rate.iops - 250) / 250).toBeLessThanOrEqual(TOLERANCE);
    expect((await readCopyMetadata(volume.copy.metadataPath)).iops).toBe(250);
    expect(volume.copy.metadata.iops).toBe(250);
  });
});
