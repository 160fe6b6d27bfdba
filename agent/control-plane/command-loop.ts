/**
 * The command loop: long-polls `GET /hosts/{id}/commands?wait=N`, hands each command to the
 * {@link CommandHandler} without waiting for it (commands on different copies run at the same
 * time; the copies' queues serialize the same copy), and posts each outcome.
 *
 * - A failed poll is retried with {@link POLL_BACKOFF} (0.5 s doubling up to 10 s), forever.
 * - A result post is retried on no answer / 5xx / 429 with {@link POST_RESULT_BACKOFF}
 *   (8 attempts over about a minute); after that the control plane hands the command out
 *   again (at-least-once delivery) and the remembered outcome is posted again. A 404 or 409
 *   answer (command unknown, or already completed otherwise) is logged and not retried.
 * - After `stop()` no more polls are made and only successes are posted: a failure caused by
 *   the stop itself must not reach the control plane as the command's outcome.
 * - While a command runs, a {@link ProgressReporter} reports its progress every few seconds, so
 *   the control plane fails a long command only when its progress stops.
 */
import { CommandHandler, CommandOutcome, HostCommand } from '../commands/command-handler';
import { ControlPlaneRequestError } from '../errors';
import { BackoffPolicy, retryWithBackoff, sleep } from '../util/backoff';
import { AgentLogger, silentLogger } from '../util/logger';
import { ControlPlaneClient } from './control-plane-client';
import { ProgressReporter, type ProgressSource } from './progress-reporter';

export const POLL_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: Infinity };
export const POST_RESULT_BACKOFF: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 15_000, maxAttempts: 8 };

export interface CommandLoopOptions {
  client: ControlPlaneClient;
  handler: CommandHandler;
  /** The long poll's `wait` (0-20 s). */
  pollWaitSeconds: number;
  logger?: AgentLogger;
  /** Figures for a running command's progress reports; without it they only say it still runs. */
  progressOf?: ProgressSource;
  /** Interval of progress reports (default PROGRESS_INTERVAL_MS). */
  progressIntervalMs?: number;
}

export class CommandLoop {
  private readonly logger: AgentLogger;
  private readonly stopController = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: CommandLoopOptions) {
    this.logger = (options.logger ?? silentLogger).child({ controller: 'command-loop' });
  }

  start(): void {
    if (!this.loop) this.loop = this.pollLoop();
  }

  /** Stops polling; does not wait for a poll in flight (its answer is ignored) nor for commands. */
  stop(): void {
    this.stopController.abort();
  }

  /** Resolves when every command taken so far has run and its outcome was posted (tests). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async pollLoop(): Promise<void> {
    const signal = this.stopController.signal;
    let failures = 0;
    while (!signal.aborted) {
      let commands: HostCommand[];
      try {
        const polled = await this.options.client.poll(this.options.pollWaitSeconds);
        for (const entry of polled.unreadable) this.logger.error('skipping an unreadable command', { entry: JSON.stringify(entry).slice(0, 500) });
        commands = polled.commands;
        failures = 0;
      } catch (error) {
        failures++;
        const delayMs = Math.min(POLL_BACKOFF.maxDelayMs, POLL_BACKOFF.initialDelayMs * 2 ** (failures - 1));
        this.logger.warn('poll failed; polling again', { failures, delayMs, error: (error as Error).message });
        await sleep(delayMs, signal);
        continue;
      }
      if (signal.aborted) {
        if (commands.length > 0) this.logger.info('stopping: leaving the commands just received to be handed out again', { commands: commands.map((c) => c.commandId) });
        return;
      }
      for (const command of commands) this.take(command);
    }
  }

  private take(command: HostCommand): void {
    const progress = new ProgressReporter(command, this.options.client, this.logger, this.options.progressOf, this.options.progressIntervalMs);
    const done = this.options.handler
      .handle(command)
      .finally(() => progress.stop())
      .then((outcome) => this.post(command, outcome))
      .catch((error: Error) => this.logger.error('posting a result failed', { commandId: command.commandId, error: error.message }))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  private async post(command: HostCommand, outcome: CommandOutcome): Promise<void> {
    const logger = this.logger.child({ commandId: command.commandId, type: command.type });
    if (this.stopController.signal.aborted && outcome.status === 'failed') {
      logger.info('stopping: not posting a failure; the command will be handed out again', { code: outcome.error.code });
      return;
    }
    try {
      await retryWithBackoff(POST_RESULT_BACKOFF, () => this.options.client.postResult(command.commandId, outcome), {
        isRetryable: (error) => error instanceof ControlPlaneRequestError && error.retryable,
        onRetry: (error, attempt, delayMs) => logger.warn('posting the result failed; retrying', { attempt, delayMs, error: (error as Error).message }),
      });
      logger.info('result posted', { status: outcome.status });
    } catch (error) {
      if (error instanceof ControlPlaneRequestError && (error.status === 404 || error.status === 409)) {
        logger.warn('the control plane refused the result; not retrying', { status: error.status, error: error.message });
        return;
      }
      logger.error('could not post the result; the control plane will hand the command out again', { error: (error as Error).message });
    }
  }
}
