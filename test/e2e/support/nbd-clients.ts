import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const WRITER = join(__dirname, 'verifying_writer.py');
/** Debian's interpreter: python3-libnbd is installed for it, not for other Pythons on PATH. */
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly exportName: string;
  readonly identity: string;
  readonly keyHex: string;
}

/** Rewrites the endpoint file atomically; the writer re-reads it when it reconnects. */
export function publishEndpoint(file: string, endpoint: Endpoint): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(endpoint));
  renameSync(`${file}.tmp`, file);
}

export function startVerifyingWriter(endpointFile: string, logFile: string, stopFile: string, blocks: number): ChildProcess {
  return spawn(PYTHON, [WRITER, 'write', '--endpoint', endpointFile, '--log', logFile, '--blocks', String(blocks), '--stop', stopFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export interface Verification {
  readonly blocksWithAckedWrites: number;
  readonly ackedWrites: number;
  readonly lostCount: number;
  readonly lost: unknown[];
}

export async function verifyWrites(source: { endpointFile: string } | { file: string }, logFile: string, blocks: number): Promise<Verification> {
  const where = 'file' in source ? ['--file', source.file] : ['--endpoint', source.endpointFile];
  try {
    const { stdout } = await run(PYTHON, [WRITER, 'verify', ...where, '--log', logFile, '--blocks', String(blocks)]);
    return JSON.parse(stdout) as Verification;
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout) as Verification;
    throw error;
  }
}

/** 4 KiB random writes at a queue depth for a while (libnbd, TLS-PSK); the measured IOPS. */
export async function measureWriteIops(endpointFile: string, seconds: number, depth: number): Promise<number> {
  const { stdout } = await run(PYTHON, [WRITER, 'rate', '--endpoint', endpointFile, '--blocks', '4096', '--seconds', String(seconds), '--depth', String(depth)]);
  return (JSON.parse(stdout) as { iops: number }).iops;
}

/** Whether a TLS-PSK NBD client gets in with this endpoint and key. */
export async function canConnect(endpointFile: string): Promise<{ ok: boolean; message: string }> {
  try {
    await run(PYTHON, [WRITER, 'rate', '--endpoint', endpointFile, '--blocks', '16', '--seconds', '0.2', '--depth', '1'], { timeout: 20_000 });
    return { ok: true, message: '' };
  } catch (error) {
    return { ok: false, message: String((error as { stderr?: string }).stderr ?? error) };
  }
}

/** The data file of a copy under a host's data directory (`…/<copyId>/data.raw`). */
export function copyDataFile(dataDir: string, copyId: string): string | undefined {
  const walk = (dir: string): string | undefined => {
    if (!existsSync(dir)) return undefined;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) continue;
      if (entry === copyId && existsSync(join(path, 'data.raw'))) return join(path, 'data.raw');
      const found = walk(path);
      if (found) return found;
    }
    return undefined;
  };
  return walk(dataDir);
}

/**
 * The sha256 of a whole export, read over NBD with TLS-PSK by nbdcopy (libnbd's URI: the PSK
 * identity as the user, the key in a file); the image a client sees, not a copy's file.
 */
export async function exportSha256(endpoint: Endpoint, scratchDir: string): Promise<string> {
  const { stdout } = await run('bash', ['-o', 'pipefail', '-c', `nbdcopy -- "$1" - | sha256sum`, 'nbd-sha256', nbdsUri(endpoint, scratchDir)], { timeout: 300_000 });
  return stdout.split(' ')[0];
}

/** Writes a local file over NBD from offset 0 (nbdcopy, TLS-PSK). */
export async function writeOverNbd(endpoint: Endpoint, scratchDir: string, file: string): Promise<void> {
  await run('nbdcopy', ['--', file, nbdsUri(endpoint, scratchDir)], { timeout: 300_000 });
}

function nbdsUri(endpoint: Endpoint, scratchDir: string): string {
  const pskFile = join(scratchDir, `psk-${endpoint.port}-${Date.now()}.txt`);
  writeFileSync(pskFile, `${endpoint.identity}:${endpoint.keyHex}\n`, { mode: 0o600 });
  return `nbds://${endpoint.identity}@${endpoint.address}:${endpoint.port}/${endpoint.exportName}?tls-psk-file=${pskFile}`;
}
