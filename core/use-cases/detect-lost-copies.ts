import type { FailoverWorkflows } from '../ports';

/** What a host reported about one of its copies that makes the copy lost. */
export interface CopyLossReport {
  readonly volumeId: string;
  readonly copyId: string;
  readonly reason: string;
  /** The volume's version when the loss was judged: the fail-over of this judgement runs once. */
  readonly volumeVersion: number;
}

/** Starts a failover for each copy a host reports as lost (daemon died, replica stale, not trusted after restart). */
export async function reportLostCopies(failovers: FailoverWorkflows, losses: readonly CopyLossReport[]): Promise<void> {
  for (const loss of losses) await failovers.startFailover(loss.volumeId, loss.copyId, loss.reason, loss.volumeVersion);
}
