/**
 * `<data-dir>/agent-state.json`: what the agent runs right now, for operators and tests (find
 * a copy's daemon PID, its files, its endpoint) without asking the agent. Replaced atomically
 * whenever a row changes; writes are coalesced (one in flight, the latest content wins).
 * It is informational only: the agent never reads it back (copies are found on the disks).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { AgentLogger } from '../util/logger';
import { CopyReport } from './copy-state';

export const STATE_FILE_NAME = 'agent-state.json';

export interface CopyStateRow extends CopyReport {
  /** Kernel name of the disk holding the copy. */
  disk: string | undefined;
  dataPath: string;
  /** The running qemu-storage-daemon's PID, while one runs. */
  daemonPid?: number;
  /** Where that daemon writes its PID (`<data-dir>/run/<copyId>/<root node>.pid`). */
  pidFile: string;
  /** The agent's QMP socket (`<root node>.qmp`). */
  qmpSocket: string;
  /** The daemon's admin QMP socket (`<root node>.adm`), for root on the host; the agent never uses it. */
  adminQmpSocket: string;
  nbd?: { address: string; port: number; exportName: string };
}

export interface AgentStateContent {
  hostId: string;
  agentPid: number;
  updatedAt: string;
  copies: CopyStateRow[];
}

export class StateFile {
  readonly path: string;
  private pending: AgentStateContent | undefined;
  private writing: Promise<void> | undefined;
  private lastWritten = '';

  constructor(
    dataDir: string,
    private readonly logger: AgentLogger,
  ) {
    this.path = path.join(dataDir, STATE_FILE_NAME);
  }

  /** Schedules a write of `content` unless it equals what was written last. */
  update(content: Omit<AgentStateContent, 'updatedAt'>): void {
    const comparable = JSON.stringify(content);
    if (comparable === this.lastWritten) return;
    this.lastWritten = comparable;
    this.pending = { ...content, updatedAt: new Date().toISOString() };
    if (!this.writing) this.writing = this.flushLoop();
  }

  /** Resolves once every scheduled write is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending) {
        const content = this.pending;
        this.pending = undefined;
        try {
          await writeFileAtomic(this.path, JSON.stringify(content, null, 2) + '\n', { mode: 0o644 });
        } catch (error) {
          // Deliberately not fatal: the file is informational; the next change writes it again.
          this.logger.warn('cannot write the state file', { path: this.path, error: (error as Error).message });
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
