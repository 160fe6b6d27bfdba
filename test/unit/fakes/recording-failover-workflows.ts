import type { FailoverWorkflows } from '../../../core/ports';

export interface StartedFailover {
  readonly volumeId: string;
  readonly lostCopyId: string;
  readonly reason: string;
}

/** Records fail-overs; like the real adapter (one execution per lost copy), a second start for a copy starts nothing. */
export class RecordingFailoverWorkflows implements FailoverWorkflows {
  readonly started: StartedFailover[] = [];
  startCalls = 0;

  async startFailover(volumeId: string, lostCopyId: string, reason: string): Promise<void> {
    this.startCalls += 1;
    if (this.started.some((f) => f.lostCopyId === lostCopyId)) return;
    this.started.push({ volumeId, lostCopyId, reason });
  }
}
