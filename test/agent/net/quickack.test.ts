/**
 * quickack on a storage route, inside a private network namespace (the host's routes are
 * never touched): the route keeps its attributes and gains `quickack 1`, and a write-blocking
 * mirror over TCP inside that namespace is measured before and after (QEMU 7.2's Nagle stall,
 * qemu-7.2 §0.2).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CopyRole } from '../../../agent/copies/copy-role';
import { CopyStore } from '../../../agent/copies/copy-store';
import { RouteNotFoundError, applyQuickAck, hasQuickAck } from '../../../agent/net/quickack';
import { generatePskKey } from '../../../agent/tls/psk-keys-file';
import { runCommand } from '../../../agent/util/run-command';
import { DaemonReaper } from '../helpers/daemon-reaper';
import { LoopFilesystem } from '../helpers/loop-filesystem';
import { MiB, ServedTestCopy, copySpec, createAndServe } from '../helpers/copy-fixture';
import { measureQueuedWriteRate } from '../helpers/io-rate';
import { TlsClient, makeTlsClient } from '../helpers/nbd-clients';

jest.setTimeout(180_000);

describe('quickack on a storage route', () => {
  const netns = `bp-qa-${randomBytes(4).toString('hex')}`;
  const reaper = new DaemonReaper();
  let fsys: LoopFilesystem | undefined;
  let nsCreated = false;

  beforeAll(async () => {
    await runCommand('ip', ['netns', 'add', netns]);
    nsCreated = true;
    await runCommand('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  });

  afterAll(async () => {
    await reaper.stopAll();
    await fsys?.destroy();
    if (nsCreated) await runCommand('ip', ['netns', 'del', netns]);
  });

  it('when quickack is applied to an existing route, the route gains quickack 1 and keeps its type, device and source', async () => {
    // Prepare
    const route = { destination: '127.0.0.1', table: 'local', netns };
    expect(await hasQuickAck(route)).toBe(false);
    // Act
    await applyQuickAck(route);
    // Assess
    expect(await hasQuickAck(route)).toBe(true);
    const { stdout } = await runCommand('ip', ['-n', netns, 'route', 'show', 'table', 'local', 'exact', '127.0.0.1']);
    expect(stdout).toMatch(/^local 127\.0\.0\.1 dev lo proto kernel scope host src 127\.0\.0\.1 quickack 1/);
    await applyQuickAck(route); // idempotent
    expect(await hasQuickAck(route)).toBe(true);
    await runCommand('ip', ['-n', netns, 'route', 'replace', 'table', 'local', 'local', '127.0.0.1', 'dev', 'lo', 'proto', 'kernel', 'scope', 'host', 'src', '127.0.0.1']);
  });

  it('when the route does not exist, it is refused with RouteNotFoundError', async () => {
    await expect(applyQuickAck({ destination: '198.51.100.0/24', netns })).rejects.toBeInstanceOf(RouteNotFoundError);
  });

  it('when a write-blocking mirror runs over TCP, quickack on the route changes its QD16 write rate (measured)', async () => {
    // Prepare: both daemons and the client inside the namespace, talking over its loopback
    fsys = await LoopFilesystem.create();
    const replicationKey = generatePskKey('replication');
    const clientKey = generatePskKey('tenant');
    const client: TlsClient = await makeTlsClient(path.join(fsys.root, 'client'), clientKey);
    const spec = copySpec({ sizeBytes: 64 * MiB });
    const primary: ServedTestCopy = await createAndServe(new CopyStore({ dataDir: path.join(fsys.mountPoint, 'a') }), reaper, spec, { clientKeys: [clientKey], netns });
    const mirror: ServedTestCopy = await createAndServe(
      new CopyStore({ dataDir: path.join(fsys.mountPoint, 'b') }),
      reaper,
      { ...spec, copyId: `${spec.copyId}-m`, role: CopyRole.Mirror },
      { clientKeys: [replicationKey], netns },
    );
    const target = { address: { type: 'inet' as const, host: '127.0.0.1', port: mirror.target.port }, exportName: mirror.target.exportName, key: replicationKey };
    // the probe (nbdinfo) would run in the test's namespace, where nothing listens: skip it
    await primary.served.runtime.startMirror(target, { probe: false });
    // few operations without quickack: the stall makes each one slow
    const without = await measureQueuedWriteRate(primary.target, client, 400, fsys.root, 40, netns);
    // Act: quickack, then a fresh mirror connection so its socket uses the new route
    await applyQuickAck({ destination: '127.0.0.1', table: 'local', netns });
    await primary.served.runtime.stopMirror();
    await primary.served.runtime.startMirror(target, { probe: false, sync: 'none' });
    const withQuickAck = await measureQueuedWriteRate(primary.target, client, 3000, fsys.root, 300, netns);
    // Assess
    console.log(
      `write-blocking mirror over TLS/TCP, QD16 4k: ${without.iops.toFixed(0)} IOPS without quickack, ${withQuickAck.iops.toFixed(0)} IOPS with quickack`,
    );
    expect(withQuickAck.iops).toBeGreaterThan(without.iops);
    await primary.served.runtime.stopMirror();
    await primary.copy.release();
    await mirror.copy.release();
  });
});
