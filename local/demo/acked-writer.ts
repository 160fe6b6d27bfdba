import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The project's verifying writer (test/agent/helpers/acked_writer.py, libnbd): serial 4 KiB writes,
 * write n to block n, each logged when sent and when acknowledged with the time, so every
 * acknowledged write can be checked in a copy's file afterwards.
 */
const WRITER = join(__dirname, '..', '..', 'test', 'agent', 'helpers', 'acked_writer.py');

export class AckedWriter {
  private readonly process: ChildProcess;
  private readonly logFile: string;
  private readonly stopFile: string;

  constructor(work: string, socket: string, exportName: string) {
    this.logFile = join(work, 'writer.log');
    this.stopFile = join(work, 'writer.stop');
    this.process = spawn('/usr/bin/python3', [WRITER, 'write', '--socket', socket, '--export', exportName, '--log', this.logFile, '--stop', this.stopFile, '--blocks', '250000', '--deadline-seconds', '900'], { stdio: 'ignore' });
  }

  private lines(prefix: string): string[] {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').filter((line) => line.startsWith(prefix)) : [];
  }

  acked(): number {
    return this.lines('k ').length;
  }

  /** Writes that failed (the client saw an error), with their message. */
  errors(): string[] {
    return this.lines('e ');
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    writeFileSync(this.stopFile, '');
    await new Promise((resolve) => this.process.once('exit', resolve));
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
  }

  /** Checks every write acknowledged (before `ackedBeforeMs`, if given) in a copy's data file. */
  verify(file: string, ackedBeforeMs?: number): { acked: number; lost: number } {
    const args = [WRITER, 'verify', '--file', file, '--log', this.logFile, ...(ackedBeforeMs === undefined ? [] : ['--acked-before', String(ackedBeforeMs)])];
    return JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8' })) as { acked: number; lost: number };
  }
}
