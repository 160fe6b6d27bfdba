/**
 * Measures 4 KiB write rates through an export over TLS-PSK with real NBD clients:
 * - serial (QD1): qemu-io `write` commands, for latency;
 * - queued (16 in flight): `nbdcopy --request-size=4096 --requests=16` from a random-data file,
 *   so the server's throttle is the only bottleneck (qemu-io's `aio_write` tops out near 350/s).
 *
 * One client process also pays for its start, the TLS handshake and the throttle's initial
 * burst (so the short run is long enough to use up the burst too), so two runs are timed, a short and a long one, and the rate is taken from the
 * difference: (long - short) operations / (long - short) seconds.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../../../agent/util/run-command';
import { ExportTarget, TlsClient, nbdsUri, qemuIoTls } from './nbd-clients';

export interface WriteRate {
  iops: number;
  meanLatencyMicros: number;
}

const BLOCK = 4096;

export async function measureSerialWriteRate(target: ExportTarget, client: TlsClient, extraOps: number, baseOps = 20): Promise<WriteRate> {
  const run = async (ops: number): Promise<number> => {
    const commands = Array.from({ length: ops }, (_, index) => `write -q -P ${(index % 250) + 1} ${(index % 4096) * BLOCK} 4k`);
    return timed(() => qemuIoTls(target, client, commands, { timeoutMs: 120_000 }));
  };
  return rateFrom(extraOps, await run(baseOps), await run(baseOps + extraOps));
}

/** `workDir` receives the random source files; `netns` runs the client in a network namespace. */
export async function measureQueuedWriteRate(
  target: ExportTarget,
  client: TlsClient,
  extraOps: number,
  workDir: string,
  baseOps = Math.ceil(extraOps / 5),
  netns?: string,
): Promise<WriteRate> {
  const run = async (ops: number): Promise<number> => {
    const source = path.join(workDir, `random-${ops}.bin`);
    await fs.writeFile(source, randomBytes(ops * BLOCK));
    try {
      const nbdcopy = ['nbdcopy', '--request-size=4096', '--requests=16', '--connections=1', '--no-extents', source, nbdsUri(target, client)];
      const [file, ...args] = netns ? ['ip', 'netns', 'exec', netns, ...nbdcopy] : nbdcopy;
      return await timed(() => runCommand(file as string, args, { timeoutMs: 120_000 }));
    } finally {
      await fs.rm(source, { force: true });
    }
  };
  return rateFrom(extraOps, await run(baseOps), await run(baseOps + extraOps));
}

function rateFrom(extraOps: number, shortSeconds: number, longSeconds: number): WriteRate {
  const seconds = longSeconds - shortSeconds;
  return { iops: extraOps / seconds, meanLatencyMicros: (seconds / extraOps) * 1e6 };
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e9;
}
