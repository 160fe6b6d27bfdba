/**
 * The host controller: this host as the control plane knows it. It registers (`POST /hosts`,
 * with the disks and every copy found, all `held` after a start) and then sends a heartbeat
 * every interval with the host's health, its disks and every copy's state.
 *
 * - Registration is retried until it succeeds (or the agent stops), with
 *   {@link REGISTRATION_BACKOFF}: 0.5 s doubling up to 30 s between attempts.
 * - A heartbeat that fails is logged and the next one comes at the next interval; a heartbeat
 *   answered 404 (the control plane no longer knows the host) registers again.
 * - `nudge()` sends the next heartbeat at once (after {@link NUDGE_DELAY_MS}, coalescing a burst),
 *   used when a copy turns `replica-stale` or `daemon-died` so a fail-over starts sooner.
 */
import { CopyController } from '../controllers/copy-controller';
import { CopyReport, CopyState } from '../controllers/copy-state';
import { DiskController } from '../devices/disk-controller';
import { DiskHealth, DiskReport } from '../devices/managed-disk';
import { ControlPlaneRequestError } from '../errors';
import { BackoffPolicy, retryWithBackoff, sleep } from '../util/backoff';
import { AgentLogger, silentLogger } from '../util/logger';
import { ControlPlaneClient, HostHealth } from './control-plane-client';

export const REGISTRATION_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Infinity };
export const NUDGE_DELAY_MS = 100;

export interface HostControllerOptions {
  client: ControlPlaneClient;
  location: string;
  /** Sent on registration when given (the control plane's default is `default`). */
  rack?: string;
  address: string;
  agentVersion: string;
  disks: DiskController;
  copies: CopyController;
  heartbeatIntervalMs: number;
  /** Copies left out of registration and heartbeats (held by a recovery, docs/recovery.md). @default none */
  hides?: (copyId: string) => boolean;
  /** Copies found after a clean stop: reported `stoppedCleanly` while they stay held. @default none */
  stoppedCleanly?: (copyId: string) => boolean;
  logger?: AgentLogger;
}

export class HostController {
  private readonly logger: AgentLogger;
  private readonly stopController = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private beats = 0;

  constructor(private readonly options: HostControllerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ controller: 'host' });
  }

  /** The control plane's time of the last registration (from its answer). */
  registeredAt: string | undefined;

  get heartbeatsSent(): number {
    return this.beats;
  }

  /** Registers, retrying until it succeeds; resolves early (unregistered) if the agent stops. */
  async register(): Promise<boolean> {
    const { client } = this.options;
    try {
      await retryWithBackoff(
        REGISTRATION_BACKOFF,
        async () => {
          await this.options.disks.reconcileAll();
          const copies = this.visibleCopies();
          const answer = await client.register({
            hostId: client.hostId,
            location: this.options.location,
            ...(this.options.rack !== undefined ? { rack: this.options.rack } : {}),
            address: this.options.address,
            agentVersion: this.options.agentVersion,
            disks: this.options.disks.reports(),
            copies,
          });
          const registeredAt = (answer as { lastHeartbeatAt?: unknown } | undefined)?.lastHeartbeatAt;
          this.registeredAt = typeof registeredAt === 'string' ? registeredAt : undefined;
          this.logger.info('registered', { copies: copies.length, held: copies.filter((copy) => copy.state === 'held').length, registeredAt: this.registeredAt });
        },
        {
          signal: this.stopController.signal,
          onRetry: (error, attempt, delayMs) => {
            const log = error instanceof ControlPlaneRequestError && !error.retryable ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
            log('registration failed; retrying', { attempt, delayMs, error: (error as Error).message });
          },
        },
      );
      return true;
    } catch (error) {
      if (this.stopController.signal.aborted) return false;
      throw error;
    }
  }

  startHeartbeats(): void {
    if (this.loop) return;
    this.loop = this.heartbeatLoop();
  }

  /** Sends a heartbeat now instead of at the next interval. */
  nudge(): void {
    // The wait current when the timer fires is ended, whichever it is.
    setTimeout(() => this.wake?.(), NUDGE_DELAY_MS);
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.wake?.();
    await this.loop;
  }

  /** Host health from its disks: every disk ok → ok, none ok → failing, else degraded. */
  static healthOf(disks: readonly DiskReport[]): HostHealth {
    const ok = disks.filter((disk) => disk.health === DiskHealth.Ok).length;
    if (ok === disks.length && ok > 0) return 'ok';
    if (ok === 0) return 'failing';
    return 'degraded';
  }

  private visibleCopies(): CopyReport[] {
    const { hides, stoppedCleanly } = this.options;
    const copies = this.options.copies.reports().filter((copy) => !hides?.(copy.copyId));
    return copies.map((copy) => (copy.state === CopyState.Held && stoppedCleanly?.(copy.copyId) ? { ...copy, stoppedCleanly: true } : copy));
  }

  private async heartbeatLoop(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      await this.waitForNextBeat();
      if (signal.aborted) return;
      await this.beat();
    }
  }

  private waitForNextBeat(): Promise<void> {
    return new Promise((resolve) => {
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      this.wake = done;
      void sleep(this.options.heartbeatIntervalMs, this.stopController.signal).then(done);
    });
  }

  private async beat(): Promise<void> {
    try {
      await this.options.disks.reconcileAll();
      const disks = this.options.disks.reports();
      await this.options.client.heartbeat({
        health: HostController.healthOf(disks),
        ...(disks.length > 0 ? { disks } : {}),
        copies: this.visibleCopies(),
      });
      this.beats++;
    } catch (error) {
      if (error instanceof ControlPlaneRequestError && error.status === 404) {
        this.logger.warn('the control plane does not know this host; registering again', { error: error.message });
        await this.register();
        return;
      }
      this.logger.warn('heartbeat failed; the next one comes at the next interval', { error: (error as Error).message });
    }
  }
}
