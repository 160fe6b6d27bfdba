import type { FailoverWorkflows } from '../../../core/ports';

export interface StartedFailover {
  readonly volumeId: string;
  readonly lostCopyId: string;
  readonly reason: string;
  readonly volumeVersion: number;
}

/** Records fail-overs; like the real adapter (one execution per lost copy and volume version), a second start of one starts nothing. */
export class RecordingFailoverWorkflows implements FailoverWorkflows {
  readonly started: StartedFailover[] = [];
  startCalls = 0;

  async startFailover(volumeId: string, lostCopyId: string, reason: string, volumeVersion: number): Promise<void> {
    this.startCalls += 1;
    if (this.started.some((f) => f.lostCopyId === lostCopyId && f.volumeVersion === volumeVersion)) return;
    this.started.push({ volumeId, lostCopyId, reason, volumeVersion });
  }
}
