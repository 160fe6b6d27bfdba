/**
 * Real NBD clients for agent tests: qemu-io (with a `tls-creds-psk` object and image-opts),
 * nbdinfo (`nbds://identity@host:port/export?tls-psk-file=…`), and direct reads of a copy's
 * file with `qemu-io -r -U -t none` (O_DIRECT, shared with the daemon that has it open).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PskKey, writePskKeysFile } from '../../../agent/tls/psk-keys-file';
import { CommandOutput, runCommand } from '../../../agent/util/run-command';

export interface TlsClient {
  dir: string;
  key: PskKey;
}

/** Writes a client-side keys.psk holding `key` in `dir`. */
export async function makeTlsClient(dir: string, key: PskKey): Promise<TlsClient> {
  await writePskKeysFile(dir, [key]);
  return { dir, key };
}

export interface ExportTarget {
  host: string;
  port: number;
  exportName: string;
}

export interface QemuIoOptions {
  /** @default 60000 */
  timeoutMs?: number;
  /** Open the export read-only (`-r`); needed for a read-only export. @default false */
  readOnly?: boolean;
  /** Run the client in this network namespace. @default the test's own */
  netns?: string;
}

/** qemu-io against an export over TLS-PSK; every command must succeed. */
export function qemuIoTls(target: ExportTarget, client: TlsClient, commands: readonly string[], options: QemuIoOptions = {}): Promise<CommandOutput> {
  const object = `tls-creds-psk,id=tls0,endpoint=client,dir=${client.dir},username=${client.key.identity}`;
  const image = [
    'driver=raw',
    'file.driver=nbd',
    'file.server.type=inet',
    `file.server.host=${target.host}`,
    `file.server.port=${target.port}`,
    `file.export=${target.exportName}`,
    'file.tls-creds=tls0',
  ].join(',');
  return runQemuIo([...(options.readOnly ? ['-r'] : []), '--object', object, '--image-opts', image], commands, options.timeoutMs ?? 60_000, options.netns);
}

/** qemu-io against an export without TLS. */
export function qemuIoPlain(target: ExportTarget, commands: readonly string[]): Promise<CommandOutput> {
  return runQemuIo(['-f', 'raw', `nbd://${target.host}:${target.port}/${target.exportName}`], commands, 30_000);
}

/** Reads a copy's data file directly (read-only, sharing the daemon's lock, O_DIRECT). */
export function qemuIoFile(filePath: string, commands: readonly string[]): Promise<CommandOutput> {
  return runQemuIo(['-r', '-U', '-t', 'none', '-f', 'raw', filePath], commands, 60_000);
}

/** qemu-io exits 0 even when a command fails; a failed command prints to stderr or "Pattern verification failed". */
async function runQemuIo(openArgs: string[], commands: readonly string[], timeoutMs: number, netns?: string): Promise<CommandOutput> {
  const args = [...openArgs, ...commands.flatMap((command) => ['-c', command])];
  const [file, ...prefixed] = netns ? ['ip', 'netns', 'exec', netns, 'qemu-io', ...args] : ['qemu-io', ...args];
  const output = await runCommand(file as string, prefixed, { timeoutMs });
  const failed = /failed|error|Pattern verification/i.test(output.stdout + output.stderr);
  if (failed) throw new Error(`qemu-io reported a failure:\n${output.stdout}\n${output.stderr}`);
  return output;
}

export function nbdsUri(target: ExportTarget, client: TlsClient): string {
  return `nbds://${client.key.identity}@${target.host}:${target.port}/${target.exportName}?tls-psk-file=${path.join(client.dir, 'keys.psk')}`;
}

export async function nbdinfoSize(uri: string): Promise<number> {
  return Number((await runCommand('nbdinfo', ['--size', uri], { timeoutMs: 15_000 })).stdout.trim());
}

/** SHA-256 of a file read with O_DIRECT (dd iflag=direct), so the page cache cannot lie. */
export function sha256OfFileDirect(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const dd = spawn('dd', [`if=${filePath}`, 'bs=1M', 'iflag=direct', 'status=none'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    dd.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
    dd.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    dd.once('error', reject);
    dd.once('close', (code) => (code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`dd failed (${code}): ${stderr}`))));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Two TCP ports on 127.0.0.1 for a probe that only handshakes: `open` takes every connection and closes it, nothing listens on `closed`. */
export interface HandshakePorts {
  readonly open: number;
  readonly closed: number;
  close(): Promise<void>;
}

export async function handshakePorts(): Promise<HandshakePorts> {
  const server = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    open: (server.address() as net.AddressInfo).port,
    closed: await freePort(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function fileMode(filePath: string): Promise<number> {
  return (await fs.stat(filePath)).mode & 0o777;
}

/** Where create-copy says a copy is served. */
export interface CopyEndpoint {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

/** Tries a TCP connection to 127.0.0.1:`port`: `'connected'`, or the error code (ECONNREFUSED…). */
export function tcpConnect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
