/**
 * `agent-state.json` from a storage host: the agent's state file (agent/controllers/state-file.ts)
 * plus the collector's `agentVersion`: `{hostId, agentVersion, copies: [{volumeId, copyId, role,
 * generation, state, detail?, daemonPid?}]}`.
 */
export interface AgentState {
  readonly hostId?: string;
  readonly agentVersion?: string;
  readonly copyCount: number;
  /** `volumeId/copyId` of copies in state `replica-stale`. */
  readonly staleReplicas: readonly string[];
  /** Copies in state `daemon-died`, or serving with no daemon PID. */
  readonly deadDaemons: readonly string[];
  /** Copies held because the control plane fenced them (a detail that names fencing). */
  readonly fencedCopies: readonly string[];
  readonly unreadable?: string;
}

interface RawCopy {
  volumeId?: unknown;
  copyId?: unknown;
  state?: unknown;
  detail?: unknown;
}

export function parseAgentState(text: string): AgentState {
  let json: { hostId?: unknown; agentVersion?: unknown; copies?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (error) {
    return { copyCount: 0, staleReplicas: [], deadDaemons: [], fencedCopies: [], unreadable: (error as Error).message };
  }
  const copies = (Array.isArray(json?.copies) ? json.copies : []) as RawCopy[];
  const name = (copy: RawCopy) => `${String(copy.volumeId)}/${String(copy.copyId)}`;
  return {
    hostId: typeof json.hostId === 'string' ? json.hostId : undefined,
    agentVersion: typeof json.agentVersion === 'string' ? json.agentVersion : undefined,
    copyCount: copies.length,
    staleReplicas: copies.filter((copy) => copy.state === 'replica-stale').map(name),
    deadDaemons: copies.filter((copy) => copy.state === 'daemon-died').map(name),
    fencedCopies: copies.filter((copy) => typeof copy.detail === 'string' && /fenc/i.test(copy.detail)).map(name),
  };
}
