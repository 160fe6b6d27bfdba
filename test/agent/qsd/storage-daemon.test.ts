/**
 * StorageDaemon on real qemu-storage-daemon processes: the running marker across clean and
 * unclean shutdowns, unexpected-exit detection, refusing a second daemon on the same files,
 * and QEMU errors surfacing as QmpCommandError.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DaemonAlreadyRunningError, DaemonNotRunningError, QmpCommandError } from '../../../agent/errors';
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
});
