/**
 * Opens a connection to a volume's primary export for the attach bridge's relay: TCP, the NBD
 * newstyle greeting, `NBD_OPT_STARTTLS`, TLS-PSK (TLS 1.2, the PSK cipher suites GnuTLS offers
 * QEMU's server), and an `NBD_OPT_INFO` for the export, which proves the key is accepted and the
 * export is served *before* the bridge's own NBD client (inside its qemu-storage-daemon) is let
 * onto the connection. What is left is a TLS stream in the option phase: the relay hands the
 * server's greeting to its downstream client, drops that client's 4 flag bytes (already sent
 * here) and pipes everything after them, so the downstream's `NBD_OPT_GO` and the transmission
 * phase travel over this TLS session unchanged.
 *
 * Why the bridge does TLS here and not in QEMU: QEMU's `tls-creds-psk` client loads its
 * identity and key once, when the object is created, and a fail-over hands out a new identity
 * (`client-<vol>-<att>-g<generation>`); a new NBD node would then have to replace the old one
 * under the export, and `blockdev-reopen` drains the old node first, which holds the client's
 * requests until its `reconnect-delay` ends and then fails them (measured on 7.2: "Error
 * flushing drive", EIO to the client). With the TLS end here, the daemon's NBD node never
 * changes: it reconnects to the relay's unix socket and resends what was in flight.
 *
 * NBD protocol: https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface UpstreamTarget {
  readonly address: string;
  readonly port: number;
  readonly exportName: string;
  readonly identity: string;
  readonly keyHex: string;
}

export interface OpenedUpstream {
  /** The TLS session, in the option phase, with nothing unread buffered. */
  readonly socket: tls.TLSSocket;
  /** The server's 18-byte greeting (`NBDMAGIC`, `IHAVEOPT`, handshake flags), for the downstream. */
  readonly greeting: Buffer;
  /** The 4 client-flag bytes sent to the server; the downstream must send the same. */
  readonly clientFlags: Buffer;
}

export class UpstreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

const NBDMAGIC = Buffer.from('NBDMAGIC');
const IHAVEOPT = Buffer.from('IHAVEOPT');
const REPLY_MAGIC = 0x0003e889045565a9n;
const NBD_FLAG_FIXED_NEWSTYLE = 1;
const NBD_FLAG_NO_ZEROES = 2;
const NBD_OPT_STARTTLS = 5;
const NBD_OPT_INFO = 6;
const NBD_REP_ACK = 1;
const NBD_REP_INFO = 3;
const NBD_REP_ERR_BIT = 0x80000000;
/** Option replies larger than this are not NBD_OPT_INFO answers; the peer is not an NBD server we talk to. */
const MAX_REPLY_BYTES = 64 * 1024;
/** TLS 1.2 PSK suites; QEMU 7.2's GnuTLS server accepts DHE-PSK and ECDHE-PSK (checked). */
const PSK_CIPHERS = 'ECDHE-PSK-CHACHA20-POLY1305:ECDHE-PSK-AES256-CBC-SHA384:DHE-PSK-AES256-GCM-SHA384:DHE-PSK-AES128-GCM-SHA256';

/** Reads exactly `n` bytes from `socket` (paused mode), or fails when it ends first. */
export function readExactly(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      reject(new UpstreamError(`the server closed the connection (wanted ${n} more bytes)`));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new UpstreamError(error.message, { cause: error }));
    };
    const cleanup = () => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    onReadable();
  });
}

function option(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(16);
  IHAVEOPT.copy(head, 0);
  head.writeUInt32BE(code, 8);
  head.writeUInt32BE(data.length, 12);
  return Buffer.concat([head, data]);
}

async function readReply(socket: net.Socket, expectedOption: number): Promise<{ type: number; data: Buffer }> {
  const head = await readExactly(socket, 20);
  if (head.readBigUInt64BE(0) !== REPLY_MAGIC) throw new UpstreamError('the server sent a malformed option reply');
  const replyOption = head.readUInt32BE(8);
  const type = head.readUInt32BE(12);
  const length = head.readUInt32BE(16);
  if (replyOption !== expectedOption) throw new UpstreamError(`the server answered option ${replyOption}, expected ${expectedOption}`);
  if (length > MAX_REPLY_BYTES) throw new UpstreamError(`the server sent an option reply of ${length} bytes`);
  return { type, data: length > 0 ? await readExactly(socket, length) : Buffer.alloc(0) };
}

function describeError(type: number, data: Buffer): string {
  const text = data.toString('utf8').replace(/[^\x20-\x7e]/g, '?');
  return `NBD error 0x${type.toString(16)}${text ? `: ${text}` : ''}`;
}

async function handshake(raw: net.Socket, target: UpstreamTarget): Promise<OpenedUpstream> {
  const greeting = await readExactly(raw, 18);
  if (!greeting.subarray(0, 8).equals(NBDMAGIC) || !greeting.subarray(8, 16).equals(IHAVEOPT)) throw new UpstreamError('the peer is not a newstyle NBD server');
  const serverFlags = greeting.readUInt16BE(16);
  if ((serverFlags & NBD_FLAG_FIXED_NEWSTYLE) === 0) throw new UpstreamError('the server does not speak fixed newstyle NBD');
  const clientFlags = Buffer.alloc(4);
  clientFlags.writeUInt32BE(serverFlags & (NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES));
  raw.write(Buffer.concat([clientFlags, option(NBD_OPT_STARTTLS)]));
  const startTls = await readReply(raw, NBD_OPT_STARTTLS);
  if (startTls.type !== NBD_REP_ACK) throw new UpstreamError(`the server refused STARTTLS (${describeError(startTls.type, startTls.data)})`);

  const secure = tls.connect({
    socket: raw,
    maxVersion: 'TLSv1.2',
    ciphers: PSK_CIPHERS,
    pskCallback: () => ({ identity: target.identity, psk: Buffer.from(target.keyHex, 'hex') }),
    checkServerIdentity: () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new UpstreamError(`TLS handshake failed: ${error.message}`, { cause: error }));
    secure.once('secureConnect', () => {
      secure.off('error', onError);
      resolve();
    });
    secure.once('error', onError);
    secure.once('close', () => reject(new UpstreamError('TLS handshake failed: the server closed the connection (wrong key?)')));
  });
  secure.pause();

  const name = Buffer.from(target.exportName, 'utf8');
  const request = Buffer.alloc(4 + name.length + 2);
  request.writeUInt32BE(name.length, 0);
  name.copy(request, 4);
  secure.write(option(NBD_OPT_INFO, request));
  for (;;) {
    const reply = await readReply(secure, NBD_OPT_INFO);
    if (reply.type === NBD_REP_ACK) break;
    if (reply.type & NBD_REP_ERR_BIT) throw new UpstreamError(`export ${target.exportName} is not available (${describeError(reply.type, reply.data)})`);
    if (reply.type !== NBD_REP_INFO) throw new UpstreamError(`unexpected option reply type ${reply.type}`);
  }
  return { socket: secure, greeting, clientFlags };
}

/**
 * Connects to `target` and takes the connection to the option phase over TLS, within
 * `timeoutMs` (a peer that accepts and never answers is cut off: QEMU itself would wait
 * forever), or until `signal` aborts it. Fails with {@link UpstreamError}.
 */
export async function openUpstream(target: UpstreamTarget, timeoutMs: number, signal?: AbortSignal): Promise<OpenedUpstream> {
  const raw = net.connect({ host: target.address, port: target.port, noDelay: true });
  raw.pause();
  // Errors after the handshake surface on the TLS socket and its 'close'; this keeps a late
  // reset on the raw socket from becoming an unhandled 'error' event.
  raw.on('error', () => undefined);
  const timer = setTimeout(() => raw.destroy(new UpstreamError(`no NBD handshake with ${target.address}:${target.port} within ${timeoutMs} ms`)), timeoutMs);
  const abort = () => raw.destroy(new UpstreamError('the attempt was abandoned'));
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', (error) => reject(new UpstreamError(`cannot connect to ${target.address}:${target.port}: ${error.message}`, { cause: error })));
    });
    return await handshake(raw, target);
  } catch (error) {
    raw.destroy();
    throw error instanceof UpstreamError ? error : new UpstreamError((error as Error).message, { cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
