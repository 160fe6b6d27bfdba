/**
 * While a command runs, posts `POST /hosts/{id}/commands/{cmdId}/progress` every
 * {@link PROGRESS_INTERVAL_MS}, so the control plane fails a long task (a mirror build that grows
 * with the volume) only when progress stops, not after a fixed time (docs/workflows.md, "Progress,
 * not a clock"). With a `progressOf` source (e.g. a mirror job's QMP `query-jobs`
 * `current-progress` / `total-progress`) the report carries figures, and figures that stand still
 * are not progress; without one the report only says the command still runs. A failed post is
 * logged and the next one is tried at the next interval: a missed report costs nothing while the
 * next gets through within the control plane's timeout (which is many intervals long).
 */
import type { HostCommand } from '../commands/command-handler';
import type { AgentLogger } from '../util/logger';
import type { ControlPlaneClient } from './control-plane-client';

/** How often a running command's progress is reported (the control plane's default timeout is 300 s, the local cloud's 15 s). */
export const PROGRESS_INTERVAL_MS = 3_000;

export interface CommandProgressFigures {
  current?: number;
  total?: number;
}

/** Where a running command's figures come from; undefined when there are none (yet). */
export type ProgressSource = (command: HostCommand) => Promise<CommandProgressFigures | undefined>;

/** Reports one running command's progress until `stop()`. */
export class ProgressReporter {
  private readonly timer: NodeJS.Timeout;
  private posting: Promise<void> = Promise.resolve();

  constructor(
    private readonly command: HostCommand,
    private readonly client: ControlPlaneClient,
    private readonly logger: AgentLogger,
    private readonly progressOf?: ProgressSource,
    intervalMs = PROGRESS_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => {
      this.posting = this.posting.then(() => this.report());
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops reporting; resolves when a report in flight has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.posting;
  }

  private async report(): Promise<void> {
    try {
      const figures = (await this.progressOf?.(this.command)) ?? {};
      await this.client.postProgress(this.command.commandId, figures);
    } catch (error) {
      // Deliberately swallowed: the next interval reports again (see the file comment).
      this.logger.warn('reporting progress failed; reporting again at the next interval', { commandId: this.command.commandId, error: (error as Error).message });
    }
  }
}
