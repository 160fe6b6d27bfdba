import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The fault harness's client side (acked_writes.py): a writer that sends every write to a block
 * never written before and logs each acknowledgement, readers that count stale reads, and a
 * verifier that checks every acknowledged write on a copy.
 */
const SCRIPT = join(__dirname, 'acked_writes.py');
/** Debian's interpreter: python3-libnbd is installed for it, not for other Pythons on PATH. */
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
/** How long a stopped writer or reader may take to notice its stop file and exit. */
const STOP_TIMEOUT_MS = 45_000;

export interface WriterOptions {
  /** Blocks the writer may use (it stops rather than wrap); default the first GiB. */
  readonly blocks?: number;
  /** Writes per second at most; default unlimited. */
  readonly maxRate?: number;
  /** A write not answered within this is counted failed and the writer reconnects. */
  readonly ioTimeoutSeconds?: number;
  /** The first block written; default 0. */
  readonly firstBlock?: number;
}

export interface ReaderSummary {
  readonly reads: number;
  readonly readsByAddress: Record<string, number>;
  readonly errors: number;
  readonly staleCount: number;
  readonly stale: { t: number; block: number; acked: number; found: number | null; address: string }[];
}

export interface WriteVerification {
  readonly ackedWrites: number;
  readonly sentWrites: number;
  readonly failedWrites: number;
  readonly connections: string[];
  readonly ended: string | null;
  readonly longestStall: { ms: number; from: number | null };
  readonly ackedAfter: Record<string, number>;
  readonly firstAckAfterMs: Record<string, number | null>;
  /** From each mark to the first acknowledgement on a connection opened after it (the client has moved). */
  readonly firstAckOnNewConnectionAfterMs: Record<string, number | null>;
  readonly lostCount: number;
  readonly lostAfter: Record<string, number>;
  readonly lost: { block: number; acked: number; ackedAt: number; found: number | null }[];
}

/** A child process that ends when its stop file appears. */
class StoppableProcess {
  private readonly exited: Promise<string>;
  constructor(
    readonly child: ChildProcess,
    private readonly stopFile: string,
  ) {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve(stdout)));
  }

  /** Asks the process to stop, waits for its summary line; SIGKILL after a bound. */
  async stop(): Promise<string> {
    if (!existsSync(this.stopFile)) writeFileSync(this.stopFile, '');
    const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS);
    const stdout = await this.exited;
    clearTimeout(timer);
    return stdout;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export class AckedWriter extends StoppableProcess {
  constructor(
    readonly endpointFile: string,
    readonly logFile: string,
    stopFile: string,
    options: WriterOptions = {},
  ) {
    const args = [SCRIPT, 'write', '--endpoint', endpointFile, '--log', logFile, '--stop', stopFile, '--blocks', String(options.blocks ?? 262_144)];
    if (options.maxRate) args.push('--max-rate', String(options.maxRate));
    if (options.ioTimeoutSeconds) args.push('--io-timeout-seconds', String(options.ioTimeoutSeconds));
    if (options.firstBlock) args.push('--first-block', String(options.firstBlock));
    super(spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] }), stopFile);
  }

  /** Acknowledged writes so far, and the epoch time (s) of the newest one. */
  progress(): { acked: number; lastAckAt: number | undefined; ended: boolean } {
    if (!existsSync(this.logFile)) return { acked: 0, lastAckAt: undefined, ended: false };
    const lines = readFileSync(this.logFile, 'utf8').split('\n');
    let acked = 0;
    let lastAckAt: number | undefined;
    let ended = false;
    for (const line of lines) {
      if (line.startsWith('k ')) {
        acked += 1;
        lastAckAt = Number(line.split(' ')[3]);
      } else if (line.startsWith('x ')) ended = true;
    }
    return { acked, lastAckAt, ended };
  }
}

export class StaleReader extends StoppableProcess {
  constructor(endpointFile: string, writerLog: string, private readonly outFile: string, stopFile: string, pin: boolean) {
    const args = [SCRIPT, 'read', '--endpoint', endpointFile, '--log', writerLog, '--out', outFile, '--stop', stopFile, '--io-timeout-seconds', '5'];
    if (pin) args.push('--pin');
    super(spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'inherit'] }), stopFile);
  }

  async summary(): Promise<ReaderSummary> {
    await this.stop();
    return JSON.parse(readFileSync(this.outFile, 'utf8')) as ReaderSummary;
  }
}

/** Checks every acknowledged write in `logFile` on a copy; `marks` are epoch-ms moments (fault, reveal) to count acks after. */
export async function verifyAckedWrites(source: { endpointFile: string } | { file: string }, logFile: string, marks: Record<string, number> = {}): Promise<WriteVerification> {
  const where = 'file' in source ? ['--file', source.file] : ['--endpoint', source.endpointFile];
  const markArgs = Object.entries(marks).flatMap(([name, ms]) => ['--mark', `${name}=${ms / 1000}`]);
  try {
    const { stdout } = await run(PYTHON, [SCRIPT, 'verify', ...where, '--log', logFile, ...markArgs], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return JSON.parse(stdout) as WriteVerification;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout) as WriteVerification;
    throw error;
  }
}
