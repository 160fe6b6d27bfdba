import { setTimeout as sleep } from 'node:timers/promises';
import { HostApi, ok, type HostCommandView } from '../client/blockplane-api';

/** How a scripted host answers each command it receives. */
export type HostBehaviour = 'succeed' | 'fail' | 'ignore';

export interface ScriptedHostOptions {
  readonly hostId: string;
  readonly location: string;
  readonly address: string;
  readonly capacityGiB: number;
  readonly iopsCapacity: number;
  readonly behaviour: HostBehaviour;
  /**
   * Commands of this type are answered only after `answerAfterMs` (a long mirror build), with a
   * progress report every `progressEveryMs` meanwhile when set (figures that move), none otherwise.
   * @default - every command is answered at once
   */
  readonly slow?: { readonly type: string; readonly answerAfterMs: number; readonly progressEveryMs?: number };
  /** Commands of this type are answered failed (the others as `behaviour` says). */
  readonly failType?: string;
  /**
   * The host's disks.
   * @default - one ssd disk of capacityGiB / iopsCapacity
   */
  readonly disks?: readonly { readonly type: 'ssd' | 'hdd'; readonly capacityGiB: number; readonly iopsCapacity: number }[];
}

/**
 * A storage host played by the test through the real host API (registration, long poll,
 * results). It stands in for the agent only where the agent is not the subject.
 */
export class ScriptedHost {
  readonly received: HostCommandView[] = [];
  private running = false;
  private loop?: Promise<void>;

  constructor(
    readonly api: HostApi,
    readonly options: ScriptedHostOptions,
  ) {}

  async register(): Promise<void> {
    ok(
      await this.api.register({
        hostId: this.options.hostId,
        location: this.options.location,
        address: this.options.address,
        agentVersion: '0.1.0',
        disks: (this.options.disks ?? [{ type: 'ssd', capacityGiB: this.options.capacityGiB, iopsCapacity: this.options.iopsCapacity }]).map((disk, i) => ({
          deviceId: `${this.options.hostId}-d${i}`,
          ...disk,
        })),
      }),
    );
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all(this.slowAnswers);
  }

  private readonly slowAnswers: Promise<void>[] = [];

  private async answerSlowly(command: HostCommandView, slow: NonNullable<ScriptedHostOptions['slow']>): Promise<void> {
    const started = Date.now();
    const total = slow.answerAfterMs;
    while (this.running && Date.now() - started < total) {
      const step = Math.min(slow.progressEveryMs ?? total, total - (Date.now() - started));
      await sleep(step);
      if (slow.progressEveryMs !== undefined) ok(await this.api.postProgress(this.options.hostId, command.commandId, { current: Date.now() - started, total }));
    }
    if (!this.running) return;
    const posted = await this.api.postResult(this.options.hostId, command.commandId, { status: 'succeeded', result: this.answer(command) });
    // A task the control plane already failed as stalled refuses the late result (409): that is the point.
    if (posted.status !== 409) ok(posted);
  }

  /** What a real agent answers (docs/host-commands.md), without doing it. */
  private answer(command: HostCommandView): Record<string, unknown> {
    const { copyId, volumeId } = command.payload;
    const payload = command.payload as { target?: { copyId?: unknown }; sizeGiB?: unknown; iops?: unknown };
    switch (command.type) {
      case 'create-copy':
      case 'promote-copy':
        return { copyId, nbd: { address: this.options.address, port: 10800, exportName: volumeId } };
      case 'quiesce-replication':
        return { copyId, quiesced: true };
      case 'resize-copy':
        return { copyId, sizeGiB: payload.sizeGiB };
      case 'set-iops':
        return { copyId, iops: payload.iops };
      case 'extend-chain':
        return { copyId, target: payload.target?.copyId, inSync: true };
      case 'end-chain':
        return { copyId, inSync: true };
      default:
        return { copyId };
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const { commands } = ok<{ commands: HostCommandView[] }>(await this.api.pollCommands(this.options.hostId, 1));
      for (const command of commands) {
        this.received.push(command);
        if (this.options.behaviour === 'ignore') continue;
        if (command.type === this.options.slow?.type) {
          this.slowAnswers.push(this.answerSlowly(command, this.options.slow));
          continue;
        }
        const result =
          this.options.behaviour === 'succeed' && command.type !== this.options.failType
            ? { status: 'succeeded', result: this.answer(command) }
            : { status: 'failed', error: { code: 'DiskFull', message: `no space left for ${String(command.payload.copyId)}` } };
        ok(await this.api.postResult(this.options.hostId, command.commandId, result));
      }
    }
  }
}
