/**
 * The attach bridge's relay: a private unix socket that the bridge's qemu-storage-daemon NBD
 * node connects to, and that the relay joins to the volume's current primary over TLS-PSK
 * (client/bridge/nbd-upstream.ts).
 *
 * - A downstream connection (the daemon's NBD node) is *held* without a greeting until an
 *   upstream is open and its export answered `NBD_OPT_INFO`. QEMU's NBD client waits for the
 *   greeting without a timeout, so its reconnect succeeds on the first attempt; a refused
 *   attempt would cost it 1 s, then 2, 4… (its connect thread's backoff).
 * - While no upstream opens (the old primary quiesced, the new one not published yet, a key
 *   being rotated), every failed attempt asks the owner to re-read where the primary is
 *   (`onUpstreamTrouble`) and retries after {@link RELAY_RETRY}, or at once when
 *   {@link UpstreamRelay.retarget} names a new primary (an attempt still running against the
 *   old one is abandoned).
 * - {@link UpstreamRelay.retarget} ends every joined connection whose target is no longer the
 *   current one (the primary moved, or the key changed); the daemon's node reconnects and
 *   resends every request that had no reply, so the bridge's client sees a pause.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import { backoffDelayMs, sleep, type BackoffPolicy } from '../../agent/util/backoff';
import { silentLogger, type AgentLogger } from '../../agent/util/logger';
import { openUpstream, readExactly, type UpstreamTarget } from './nbd-upstream';

/** Retrying an upstream that does not open: 10 ms doubling to 250 ms, until the downstream gives up. */
export const RELAY_RETRY: BackoffPolicy = { initialDelayMs: 10, maxDelayMs: 250, maxAttempts: Infinity };

export interface UpstreamRelayOptions {
  /** The relay's unix socket (mode 0600; its folder must be private). */
  readonly socketPath: string;
  /** Where the primary is now; read at every connection attempt. */
  readonly target: () => UpstreamTarget;
  /** An upstream failed to open or was lost: the owner should re-read the attachment now. */
  readonly onUpstreamTrouble?: (reason: string) => void;
  /** @default 5000 - TCP + greeting + STARTTLS + TLS + NBD_OPT_INFO */
  readonly handshakeTimeoutMs?: number;
  /** @default silentLogger */
  readonly logger?: AgentLogger;
}

interface JoinedPair {
  readonly down: net.Socket;
  readonly up: net.Socket;
  readonly target: UpstreamTarget;
  retargeted: boolean;
}

export const sameTarget = (a: UpstreamTarget, b: UpstreamTarget): boolean =>
  a.address === b.address && a.port === b.port && a.exportName === b.exportName && a.identity === b.identity && a.keyHex === b.keyHex;

export class UpstreamRelay {
  private server: net.Server | undefined;
  private readonly pairs = new Set<JoinedPair>();
  private readonly pending = new Set<net.Socket>();
  private readonly logger: AgentLogger;
  /** Aborted (and replaced) by every retarget, so connections waiting for a primary retry at once. */
  private wake = new AbortController();
  /** Connections joined to an upstream since the start; the first is the daemon's initial connect. */
  joins = 0;

  constructor(private readonly options: UpstreamRelayOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  async listen(): Promise<void> {
    await fs.rm(this.options.socketPath, { force: true });
    const server = net.createServer((down) => void this.accept(down));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(this.options.socketPath, 0o600);
    this.server = server;
  }

  /** Ends the joined connections that do not lead to the current target (see the file comment). */
  retarget(): void {
    this.wake.abort();
    this.wake = new AbortController();
    const target = this.options.target();
    for (const pair of this.pairs) {
      if (sameTarget(pair.target, target)) continue;
      this.logger.info('primary moved: ending the connection to the old one', { from: `${pair.target.address}:${pair.target.port}`, to: `${target.address}:${target.port}` });
      pair.retargeted = true;
      pair.up.destroy();
      pair.down.destroy();
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.pending) socket.destroy();
    for (const pair of this.pairs) {
      pair.up.destroy();
      pair.down.destroy();
    }
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(this.options.socketPath, { force: true });
  }

  private async accept(down: net.Socket): Promise<void> {
    down.pause();
    down.on('error', () => undefined); // a dropped downstream is seen as 'close'
    this.pending.add(down);
    const gone = new AbortController();
    down.once('close', () => gone.abort());
    try {
      for (let attempt = 1; ; attempt++) {
        if (gone.signal.aborted || !this.server) return;
        const target = this.options.target();
        const woken = this.wake.signal;
        let opened;
        try {
          opened = await openUpstream(target, this.options.handshakeTimeoutMs ?? 5_000, AbortSignal.any([gone.signal, woken]));
        } catch (error) {
          if (woken.aborted) continue; // a new primary was named meanwhile: try it at once
          const reason = (error as Error).message;
          if (attempt === 1 || attempt % 20 === 0) this.logger.warn('upstream not open yet; holding the bridge connection', { attempt, target: `${target.address}:${target.port}`, reason });
          this.options.onUpstreamTrouble?.(reason);
          await sleep(backoffDelayMs(RELAY_RETRY, attempt), AbortSignal.any([gone.signal, this.wake.signal]));
          continue;
        }
        if (gone.signal.aborted || !this.server) {
          opened.socket.destroy();
          return;
        }
        if (!sameTarget(target, this.options.target())) {
          opened.socket.destroy(); // the primary moved while this attempt ran
          continue;
        }
        await this.join(down, opened.socket, opened.greeting, opened.clientFlags, target);
        return;
      }
    } finally {
      this.pending.delete(down);
    }
  }

  private async join(down: net.Socket, up: net.Socket, greeting: Buffer, clientFlags: Buffer, target: UpstreamTarget): Promise<void> {
    down.write(greeting);
    let flags: Buffer;
    try {
      flags = await readExactly(down, 4);
    } catch {
      up.destroy();
      return;
    }
    if (!flags.equals(clientFlags)) {
      this.logger.error('the bridge daemon sent other NBD client flags than the relay negotiated', { sent: flags.toString('hex'), negotiated: clientFlags.toString('hex') });
      up.destroy();
      down.destroy();
      return;
    }
    const pair: JoinedPair = { down, up, target, retargeted: false };
    this.pairs.add(pair);
    this.joins += 1;
    up.on('error', () => undefined); // seen as 'close'
    const end = (side: 'upstream' | 'downstream') => {
      if (!this.pairs.delete(pair)) return;
      up.destroy();
      down.destroy();
      if (side === 'upstream' && !pair.retargeted && this.server) {
        this.logger.warn('connection to the primary lost', { target: `${target.address}:${target.port}` });
        this.options.onUpstreamTrouble?.('connection to the primary lost');
      }
    };
    up.once('close', () => end('upstream'));
    down.once('close', () => end('downstream'));
    down.pipe(up);
    up.pipe(down);
    up.resume();
    down.resume();
    this.logger.info('bridge joined to the primary', { target: `${target.address}:${target.port}`, identity: target.identity });
  }
}
