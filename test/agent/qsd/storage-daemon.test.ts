/**
 * StorageDaemon on real qemu-storage-daemon processes: the running marker across clean and
 * unclean shutdowns, unexpected-exit detection, refusing a second daemon on the same files,
 * QEMU errors surfacing as QmpCommandError, the admin QMP socket beside the agent's, and socket
 * paths over the unix limit refused.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DaemonAlreadyRunningError, DaemonNotRunningError, InvalidCopySpecError, QmpCommandError } from '../../../agent/errors';
import { QmpClient } from '../../../agent/qmp/qmp-client';
import { DaemonStatus } from '../../../agent/qsd/daemon-status';
import { DaemonExit, StorageDaemon } from '../../../agent/qsd/storage-daemon';
import { DaemonReaper, isAlive } from '../helpers/daemon-reaper';

jest.setTimeout(60_000);

describe('StorageDaemon', () => {
  const reaper = new DaemonReaper();
  let runDir: string;

  beforeEach(async () => {
    runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-qsd-'));
  });

  afterEach(async () => {
    await reaper.stopAll();
    await fs.rm(runDir, { recursive: true, force: true });
  });

  const newDaemon = (): StorageDaemon => reaper.track(new StorageDaemon({ name: 'qsd-test', runDir }));

  it('when stopped with quit, it removes the running marker and the next start reports a clean shutdown', async () => {
    // Prepare
    const first = newDaemon();
    const firstStart = await first.start();
    expect(firstStart.previousShutdownUnclean).toBe(false);
    await expect(fs.access(first.marker.path)).resolves.toBeUndefined();
    // Act
    const stopped = await first.stop();
    const second = newDaemon();
    const secondStart = await second.start();
    // Assess
    expect(stopped).toEqual({ clean: true, exit: { code: 0, signal: null, expected: true } });
    expect(first.status).toBe(DaemonStatus.Stopped);
    expect(secondStart.previousShutdownUnclean).toBe(false);
    await expect(fs.access(first.pidfilePath)).resolves.toBeUndefined();
  });

  it('when the daemon is SIGKILLed, it emits exited (unexpected, SIGKILL) and the next start reports an unclean shutdown', async () => {
    // Prepare
    const first = newDaemon();
    await first.start();
    const exited = new Promise<DaemonExit>((resolve) => first.once('exited', resolve));
    // Act
    process.kill(first.pid as number, 'SIGKILL');
    const exit = await exited;
    const second = newDaemon();
    const report = await second.start();
    // Assess
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', expected: false });
    expect(first.status).toBe(DaemonStatus.Exited);
    expect(() => first.qmp).toThrow(DaemonNotRunningError);
    expect(report.previousShutdownUnclean).toBe(true);
    expect(report.leftoverMarker).toMatchObject({ daemonName: 'qsd-test', agentPid: process.pid });
  });

  it('when a daemon recorded in the pidfile still runs, a second start on the same files is refused', async () => {
    // Prepare
    const first = newDaemon();
    const { pid } = await first.start();
    // Act
    const second = newDaemon();
    const attempt = second.start();
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DaemonAlreadyRunningError);
    await expect(attempt).rejects.toMatchObject({ pid });
    expect(isAlive(pid)).toBe(true);
    expect(first.status).toBe(DaemonStatus.Running);
  });

  it('when QEMU refuses a command, it surfaces as a QmpCommandError with QEMU class and description', async () => {
    // Prepare
    const daemon = newDaemon();
    await daemon.start();
    // Act
    const attempt = daemon.qmp.execute('blockdev-del', { 'node-name': 'no-such-node' });
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(QmpCommandError);
    await expect(attempt).rejects.toMatchObject({ errorClass: 'GenericError', desc: expect.stringContaining('no-such-node') });
  });

  it('while the agent holds its QMP socket, root reaches the same daemon through the admin socket (mode 0600) and sees what it changes there', async () => {
    // Prepare
    const daemon = newDaemon();
    await daemon.start();
    await daemon.qmp.execute('object-add', { 'qom-type': 'throttle-group', id: 'tg-admin', limits: { 'iops-total': 100 } });
    // Act
    const admin = await QmpClient.connect(daemon.adminSocketPath);
    try {
      await admin.execute('qom-set', { path: '/objects/tg-admin', property: 'limits', value: { 'iops-total': 42 } });
      const seenByAgent = await daemon.qmp.execute<Record<string, number>>('qom-get', { path: '/objects/tg-admin', property: 'limits' });
      // Assess
      expect(seenByAgent['iops-total']).toBe(42);
      expect((await fs.stat(daemon.adminSocketPath)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(daemon.socketPath)).mode & 0o777).toBe(0o600);
      expect(path.basename(daemon.adminSocketPath)).toBe('qsd-test.adm');
    } finally {
      admin.close();
    }
  });

  it('when the run directory makes a QMP socket path longer than 107 bytes, the daemon is refused before it starts, naming the path', () => {
    // Prepare: 'qsd-test.qmp' and 'qsd-test.adm' are 12 bytes, so this runDir leaves the sockets at 108.
    const longRunDir = path.join('/', 'r'.repeat(108 - 1 - 1 - 12));
    // Act
    const create = () => new StorageDaemon({ name: 'qsd-test', runDir: longRunDir });
    // Assess
    expect(create).toThrow(InvalidCopySpecError);
    expect(create).toThrow(/QMP socket path.*at most 107 bytes/);
    expect(() => new StorageDaemon({ name: 'qsd-test', runDir: longRunDir.slice(0, -1) })).not.toThrow();
  });
});
