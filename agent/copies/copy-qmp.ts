/**
 * One copy's QMP access, shared by the parts of its runtime (graph, throttle, exports, mirror
 * job, resync): the copy, its node names, its logger, and every QMP call with a timeout
 * (qemu-7.2 §9.5: a call without one can block the agent against a stuck daemon).
 */
import { QmpClient, QmpEvent } from '../qmp/qmp-client';
import { AgentLogger } from '../util/logger';
import { CopyNodeNames } from './node-names';
import { VolumeCopy } from './volume-copy';

export interface QueryJobsEntry {
  id: string;
  type: string;
  status: string;
  error?: string;
  'current-progress'?: number;
  'total-progress'?: number;
}

export interface QueryNamedNode {
  'node-name': string;
  ro: boolean;
}

export class CopyQmp {
  readonly names: CopyNodeNames;

  constructor(
    readonly copy: VolumeCopy,
    readonly qmp: QmpClient,
    readonly logger: AgentLogger,
    readonly timeoutMs: number,
  ) {
    this.names = copy.metadata.nodeNames;
  }

  exec<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return this.qmp.execute<T>(command, args, { timeoutMs: this.timeoutMs });
  }

  /** For clean-up steps whose failure changes nothing for the caller; logged, never thrown. */
  async execQuietly(command: string, args: Record<string, unknown>): Promise<void> {
    try {
      await this.exec(command, args);
    } catch (error) {
      this.logger.debug('clean-up command failed', { command, error: (error as Error).message });
    }
  }

  async nodeExists(nodeName: string): Promise<boolean> {
    const nodes = await this.exec<QueryNamedNode[]>('query-named-block-nodes', { flat: true });
    return nodes.some((node) => node['node-name'] === nodeName);
  }
}

export function isJobEvent(event: QmpEvent, jobId: string): boolean {
  if (event.event === 'JOB_STATUS_CHANGE') return event.data.id === jobId;
  return event.event.startsWith('BLOCK_JOB_') && event.data.device === jobId;
}
