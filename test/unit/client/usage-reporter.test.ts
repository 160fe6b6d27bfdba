import { UsageReporter } from '../../../client/bridge/usage-reporter';
import type { StatfsNumbers } from '../../../client/bridge/usage-report';
import type { AgentLogger, LogFields } from '../../../agent/util/logger';

const GiB = 1024 ** 3;
/** 3 GiB used of 10 GiB in 1 MiB blocks. */
const STATFS: StatfsNumbers = { bsize: 1024 * 1024, blocks: 10 * 1024, bfree: 7 * 1024, bavail: 7 * 1024 };

function recordingLogger(lines: string[]): AgentLogger {
  const logger: AgentLogger = {
    debug: () => undefined,
    info: (message: string, _fields?: LogFields) => void lines.push(`info ${message}`),
    warn: (message: string, _fields?: LogFields) => void lines.push(`warn ${message}`),
    error: (message: string) => void lines.push(`error ${message}`),
    child: () => logger,
  };
  return logger;
}

/** Lets the reporter's awaited calls settle (fake timers do not run promise callbacks). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('UsageReporter', () => {
  let reporter: UsageReporter | undefined;
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    reporter?.stop();
    jest.useRealTimers();
  });

  it('when started, it reports at once and then every interval, with usedGiB from statfs', async () => {
    // Given
    const sent: number[] = [];
    reporter = new UsageReporter({ mountpoint: '/mnt/data', intervalSeconds: 60, statfs: async () => STATFS, report: async (usedGiB) => void sent.push(usedGiB) });
    // When
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    // Then
    expect(sent).toEqual([3]);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(sent).toEqual([3]);
    await jest.advanceTimersByTimeAsync(1);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual([3, 3, 3]);
    expect(reporter.reports).toBe(3);
  });

  it('when stopped, it reports no more, even if stopped while a report is in flight', async () => {
    // Given a report that does not answer until released
    let release: () => void = () => undefined;
    let calls = 0;
    reporter = new UsageReporter({
      mountpoint: '/mnt/data', intervalSeconds: 5, statfs: async () => STATFS,
      report: () => {
        calls += 1;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    // When it is stopped meanwhile, and the report then answers
    reporter.stop();
    release();
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);
    // Then no other report was started
    expect(calls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('when reports fail, it keeps going, says so once, and says when they work again', async () => {
    // Given an API that fails twice, then answers
    const answers = [new Error('HTTP 503 ServiceUnavailable: down'), new Error('socket hang up'), undefined];
    const lines: string[] = [];
    const sent: number[] = [];
    reporter = new UsageReporter({
      mountpoint: '/mnt/data', intervalSeconds: 10, statfs: async () => STATFS, logger: recordingLogger(lines),
      report: async (usedGiB) => {
        const answer = answers.shift();
        if (answer) throw answer;
        sent.push(usedGiB);
      },
    });
    // When three periods pass
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(10_000);
    await jest.advanceTimersByTimeAsync(10_000);
    // Then the third report went through, and only the first failure was said
    expect(sent).toEqual([3]);
    expect(lines).toEqual([
      'warn could not report the filesystem usage; retrying every period: HTTP 503 ServiceUnavailable: down',
      'info reporting the filesystem usage again',
    ]);
  });

  it('when statfs fails (the directory was removed), it is a failed round, not a crash', async () => {
    const lines: string[] = [];
    const sent: number[] = [];
    reporter = new UsageReporter({
      mountpoint: '/mnt/gone', intervalSeconds: 10, logger: recordingLogger(lines),
      statfs: async () => {
        throw new Error("ENOENT: no such file or directory, statfs '/mnt/gone'");
      },
      report: async (usedGiB) => void sent.push(usedGiB),
    });
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(/^warn could not report .*cannot measure \/mnt\/gone: ENOENT/)]);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('when a device is given, it reports only once the mount point is mounted from it (kernel NBD mode)', async () => {
    // Given /mnt/data is not mounted yet: statfs would measure the root filesystem
    let mounts = '/dev/sda1 / ext4 rw 0 0\n';
    const sent: number[] = [];
    const lines: string[] = [];
    reporter = new UsageReporter({
      mountpoint: '/mnt/data', intervalSeconds: 10, device: '/dev/nbd0', statfs: async () => STATFS, readMounts: async () => mounts,
      logger: recordingLogger(lines), report: async (usedGiB) => void sent.push(usedGiB),
    });
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual([]);
    // When the user mounts the device's filesystem there
    mounts += '/dev/nbd0 /mnt/data ext4 rw 0 0\n';
    await jest.advanceTimersByTimeAsync(10_000);
    // Then it reports from then on
    expect(sent).toEqual([3]);
    expect(lines).toEqual(['info not reporting until the volume is mounted: /mnt/data is not a mount point, not from /dev/nbd0', 'info reporting the filesystem usage again']);
  });

  it('when another device is mounted there, it does not report that filesystem', async () => {
    const sent: number[] = [];
    reporter = new UsageReporter({
      mountpoint: '/mnt/data', intervalSeconds: 10, device: '/dev/nbd0', statfs: async () => ({ ...STATFS, bfree: 0 }),
      readMounts: async () => '/dev/nbd1 /mnt/data ext4 rw 0 0\n', report: async (usedGiB) => void sent.push(usedGiB),
    });
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([]);
  });

  it('when statfs answers in blocks, it sends usedGiB in GiB, not bytes', async () => {
    const sent: number[] = [];
    reporter = new UsageReporter({ mountpoint: '/m', intervalSeconds: 5, statfs: async () => ({ bsize: 4096, blocks: (2 * GiB) / 4096, bfree: (1.5 * GiB) / 4096, bavail: 0 }), report: async (gib) => void sent.push(gib) });
    reporter.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([0.5]);
  });
});
