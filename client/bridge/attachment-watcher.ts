/**
 * Keeps the bridge's idea of where the volume's primary is: reads `GET /volumes/{id}/attachments/{attachmentId}`
 * every `pollIntervalMs`, and at once (at most every `minRefreshIntervalMs`) when the relay
 * reports trouble (a lost connection, an upstream that does not open). Calls `onChange` with
 * every answer whose endpoint or key differs from the last one. A failed read is logged and
 * retried at the next tick; the bridge keeps the last known primary meanwhile.
 */
import { silentLogger, type AgentLogger } from '../../agent/util/logger';
import type { AttachmentView } from '../blockplane-api';
import { assertUsableConnection, targetOf } from './connection';
import { sameTarget } from './upstream-relay';

export interface AttachmentWatcherOptions {
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** The shortest time between two reads, however often trouble is reported. @default 25 */
  readonly minRefreshIntervalMs?: number;
  /** @default silentLogger */
  readonly logger?: AgentLogger;
}

export class AttachmentWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private reading = false;
  private wanted = false;
  private lastReadAt = 0;
  private readonly pollIntervalMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly logger: AgentLogger;
  /** Reads made since the start (for tests and the bench). */
  reads = 0;

  constructor(
    private current: AttachmentView,
    private readonly read: () => Promise<AttachmentView>,
    private readonly onChange: (view: AttachmentView) => void,
    options: AttachmentWatcherOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 25;
    this.logger = options.logger ?? silentLogger;
  }

  get attachment(): AttachmentView {
    return this.current;
  }

  start(): void {
    this.running = true;
    this.schedule(this.pollIntervalMs);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Reads the attachment as soon as the minimum interval allows (coalesced). */
  refreshNow(): void {
    if (!this.running) return;
    this.wanted = true;
    if (!this.reading) this.schedule(Math.max(0, this.lastReadAt + this.minRefreshIntervalMs - Date.now()));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.running || this.reading) return;
    this.reading = true;
    this.wanted = false;
    this.lastReadAt = Date.now();
    try {
      const view = await this.read();
      this.reads += 1;
      assertUsableConnection(view);
      if (!sameTarget(targetOf(view), targetOf(this.current))) {
        this.logger.info('the attachment names another primary or key', {
          hostId: view.hostId,
          generation: view.generation,
          endpoint: `${view.nbd.address}:${view.nbd.port}/${view.nbd.exportName}`,
          identity: view.tls.identity,
        });
        this.current = view;
        this.onChange(view);
      }
    } catch (error) {
      this.logger.warn('could not read the attachment; keeping the last known primary', { error: (error as Error).message });
    } finally {
      this.reading = false;
      if (this.running) this.schedule(this.wanted ? Math.max(0, this.lastReadAt + this.minRefreshIntervalMs - Date.now()) : this.pollIntervalMs);
    }
  }
}
