/**
 * Runs an external command with a hard timeout and returns its output; failures become a
 * typed {@link CommandFailedError} carrying the exit code, signal and stderr.
 */
import { execFile } from 'node:child_process';
import { CommandFailedError } from '../errors';

export interface RunCommandOptions {
  /** @default 30000 - the command is killed with SIGKILL after this many milliseconds. */
  timeoutMs?: number;
  /** Written to the command's stdin, if given. */
  input?: string;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          const signal = error.signal ?? null;
          const detail = error.killed && signal === 'SIGKILL' ? `${stderr}\n(killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)` : stderr || error.message;
          reject(new CommandFailedError(file, args, code, signal, detail, { cause: error }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
