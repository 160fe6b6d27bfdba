/**
 * Runs a diagnostic command and keeps at most `maxBytes` of its output: the head for a
 * listing (`keep: 'head'`, the command is stopped once the cap is reached), or the tail for a
 * log (`keep: 'tail'`, the newest lines). A command that is not installed is
 * {@link SourceAbsentError}; a non-zero exit is a failure with its stderr; the signal kills it.
 */
import { spawn } from 'node:child_process';
import { SourceAbsentError } from './collector';

export interface CappedOutput {
  stdout: Buffer;
  truncated: boolean;
}

export interface CappedCommandOptions {
  maxBytes: number;
  keep: 'head' | 'tail';
  signal: AbortSignal;
}

const MAX_STDERR_BYTES = 4096;

export class DiagnosticCommandError extends Error {
  constructor(command: string, exit: string, stderr: string) {
    super(`${command} ${exit}${stderr ? `: ${stderr.trim()}` : ''}`);
    this.name = 'DiagnosticCommandError';
  }
}

export function runCapped(file: string, args: readonly string[], options: CappedCommandOptions): Promise<CappedOutput> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new Error(`${file} not started: aborted`));
      return;
    }
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } });
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    let stoppedAtCap = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stoppedAtCap) return;
      chunks.push(chunk);
      kept += chunk.length;
      if (kept <= options.maxBytes) return;
      truncated = true;
      if (options.keep === 'head') {
        stoppedAtCap = true;
        child.kill('SIGKILL');
        return;
      }
      while (chunks.length > 1 && kept - chunks[0].length >= options.maxBytes) kept -= chunks.shift()!.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8').slice(0, MAX_STDERR_BYTES - stderr.length);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') reject(new SourceAbsentError(`${file} is not installed`));
      else reject(error);
    });
    child.on('close', (code, signal) => {
      if (options.signal.aborted) return; // the runner already reported the timeout
      const all = Buffer.concat(chunks);
      const stdout = !truncated ? all : options.keep === 'head' ? all.subarray(0, options.maxBytes) : all.subarray(all.length - options.maxBytes);
      if (stoppedAtCap || code === 0) {
        resolve({ stdout, truncated });
        return;
      }
      reject(new DiagnosticCommandError([file, ...args].join(' '), signal ? `killed by ${signal}` : `exited with status ${code}`, stderr));
    });
  });
}
