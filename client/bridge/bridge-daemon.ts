/**
 * The attach bridge as one object: a local qemu-storage-daemon that serves the volume on the
 * bridge's unix socket, whose only block node is an NBD client of the relay
 * (client/bridge/upstream-relay.ts), and the attachment watcher that tells the relay where the
 * primary is now.
 *
 * ```
 * client ──unix──▶ [qemu-storage-daemon: export "vol" on node "upstream" (nbd, reconnect-delay)]
 *                        └──unix (relay.sock)──▶ [relay] ──TCP+TLS-PSK──▶ primary's export
 * ```
 *
 * - **No cache in the bridge.** The node is an NBD client: it acknowledges a write when the
 *   primary replied, and passes FLUSH and FUA on (`cache.no-flush` off). `cache.direct` is set
 *   so nothing above it may add a host cache. So an ack the client sees is the primary's ack.
 * - **The primary moves** (cutover, fail-over, a new key): the watcher sees the new endpoint,
 *   the relay ends the old connection, and the node reconnects (to the same relay socket) and
 *   resends every request without a reply. `reconnect-delay` bounds how long it holds them;
 *   past it QEMU fails them with EIO, so it is set above the longest fail-over.
 * - **A connection is lost** without news (the old primary quiesced first, as in a planned
 *   cutover, or died): the relay reports it, the watcher re-reads the attachment at once and
 *   keeps re-reading while the relay retries, so the switch follows the control plane's
 *   publication within one read.
 */
import { promises as fs } from 'node:fs';
import { StorageDaemon } from '../../agent/qsd/storage-daemon';
import { silentLogger, type AgentLogger } from '../../agent/util/logger';
import type { AttachmentView } from '../blockplane-api';
import { AttachmentWatcher } from './attachment-watcher';
import { BridgeError } from './bridge-error';
import { assertUsableConnection, targetOf } from './connection';
import { openUpstream } from './nbd-upstream';
import { UpstreamRelay } from './upstream-relay';

/** Long enough for a fail-over (heartbeat timeout + lease bound + promotion), docs/attach.md. */
export const DEFAULT_RECONNECT_DELAY_SECONDS = 300;
export const BRIDGE_DAEMON_NAME = 'qsd';
const NODE = 'upstream';
const EXPORT_ID = 'client';

export interface BridgeDaemonOptions {
  /** The bridge's private folder (0700): the daemon's QMP socket, pid file and log go here. */
  readonly dir: string;
  /** The unix socket clients connect to. */
  readonly socketPath: string;
  /** The relay's unix socket (only the daemon connects to it). */
  readonly relaySocketPath: string;
  readonly initial: AttachmentView;
  /** Reads the attachment from the API; without it the bridge stays on `initial`'s primary. */
  readonly readAttachment?: () => Promise<AttachmentView>;
  /** Called after the bridge turned to a new primary or key (to record it). */
  readonly onAttachmentChange?: (view: AttachmentView) => void;
  /** @default DEFAULT_RECONNECT_DELAY_SECONDS */
  readonly reconnectDelaySeconds?: number;
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** @default 8 */
  readonly maxClients?: number;
  /** @default 5000 */
  readonly handshakeTimeoutMs?: number;
  /** @default 'qemu-storage-daemon' */
  readonly qsdBinary?: string;
  /** @default silentLogger */
  readonly logger?: AgentLogger;
}

export class BridgeDaemon {
  private attachment: AttachmentView;
  private readonly relay: UpstreamRelay;
  private readonly daemon: StorageDaemon;
  private watcher: AttachmentWatcher | undefined;
  private readonly logger: AgentLogger;

  constructor(private readonly options: BridgeDaemonOptions) {
    assertUsableConnection(options.initial);
    this.attachment = options.initial;
    this.logger = options.logger ?? silentLogger;
    this.relay = new UpstreamRelay({
      socketPath: options.relaySocketPath,
      target: () => targetOf(this.attachment),
      onUpstreamTrouble: () => this.watcher?.refreshNow(),
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      logger: this.logger.child({ part: 'relay' }),
    });
    this.daemon = new StorageDaemon({ name: BRIDGE_DAEMON_NAME, runDir: options.dir, binary: options.qsdBinary, logger: this.logger.child({ part: 'qsd' }) });
  }

  get current(): AttachmentView {
    return this.attachment;
  }

  get pid(): number | undefined {
    return this.daemon.pid;
  }

  /** Connections the relay joined to a primary (1 after the start, +1 per switch or reconnect). */
  get joins(): number {
    return this.relay.joins;
  }

  /** Emits 'exited' when the daemon ends without being asked. */
  onDaemonExit(listener: (exit: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }) => void): void {
    this.daemon.on('exited', listener);
  }

  /**
   * Checks the primary accepts the key, then starts the relay, the daemon, its NBD node, the
   * unix export, and the watcher. Fails with {@link BridgeError} (nothing left running).
   */
  async start(): Promise<void> {
    const target = targetOf(this.attachment);
    const handshakeTimeoutMs = this.options.handshakeTimeoutMs ?? 5_000;
    try {
      const probe = await openUpstream(target, handshakeTimeoutMs);
      probe.socket.destroy();
    } catch (error) {
      throw new BridgeError(`the bridge could not open ${target.address}:${target.port}/${target.exportName} as ${target.identity}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await this.relay.listen();
      await this.daemon.start();
      const qmp = this.daemon.qmp;
      await qmp.execute(
        'blockdev-add',
        {
          driver: 'nbd',
          'node-name': NODE,
          server: { type: 'unix', path: this.options.relaySocketPath },
          export: target.exportName,
          'reconnect-delay': this.options.reconnectDelaySeconds ?? DEFAULT_RECONNECT_DELAY_SECONDS,
          cache: { direct: true, 'no-flush': false },
        },
        { timeoutMs: handshakeTimeoutMs * 2 },
      );
      await qmp.execute('nbd-server-start', { addr: { type: 'unix', data: { path: this.options.socketPath } }, 'max-connections': this.options.maxClients ?? 8 });
      await qmp.execute('block-export-add', { type: 'nbd', id: EXPORT_ID, 'node-name': NODE, name: target.exportName, writable: true });
      await fs.chmod(this.options.socketPath, 0o600);
    } catch (error) {
      await this.stop();
      throw error instanceof BridgeError ? error : new BridgeError(`the bridge daemon did not start: ${(error as Error).message}`, { cause: error });
    }
    if (this.options.readAttachment) {
      this.watcher = new AttachmentWatcher(this.attachment, this.options.readAttachment, (view) => this.turnTo(view), {
        pollIntervalMs: this.options.pollIntervalMs,
        logger: this.logger.child({ part: 'watcher' }),
      });
      this.watcher.start();
    }
  }

  /** Stops the watcher, the daemon (`quit`, SIGKILL after 10 s) and the relay. */
  async stop(): Promise<void> {
    this.watcher?.stop();
    await this.daemon.stop().catch((error: unknown) => this.logger.warn('stopping the daemon failed', { error: (error as Error).message }));
    await this.relay.close();
  }

  private turnTo(view: AttachmentView): void {
    if (view.nbd.exportName !== this.attachment.nbd.exportName) {
      // The daemon's NBD node asks for its export by name on every reconnect; another name
      // would need another node. Not something a cutover or fail-over does (docs/attach.md).
      this.logger.error('the attachment names another export; not following', { from: this.attachment.nbd.exportName, to: view.nbd.exportName });
      return;
    }
    this.attachment = view;
    this.relay.retarget();
    this.options.onAttachmentChange?.(view);
  }
}
