/**
 * What the agent says about a copy: its reported state (registration, heartbeat), its NBD
 * endpoint (command results) and its row of the state file. Pure functions of the entry.
 */
import { CopyEndpointResult } from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { ReplicaStatus } from '../copies/replica-status';
import { daemonFilesOf } from '../qsd/storage-daemon';
import { CopyEntry, exportNameOf } from './copy-entry';
import { CopyPhase, CopyReport, CopyState, MAX_DETAIL_LENGTH } from './copy-state';
import { CopyStateRow } from './state-file';

export function reportOf(entry: CopyEntry): CopyReport {
  const { metadata } = entry.copy;
  const base = { volumeId: metadata.volumeId, copyId: metadata.copyId, role: metadata.role, generation: metadata.generation };
  const [state, detail] = stateOf(entry);
  return { ...base, state, ...(detail ? { detail: detail.slice(0, MAX_DETAIL_LENGTH) } : {}) };
}

function stateOf(entry: CopyEntry): [CopyState, string | undefined] {
  if (entry.phase === CopyPhase.Held) return [CopyState.Held, entry.lastError];
  if (entry.fencedReason !== undefined) return [CopyState.Held, entry.fencedReason];
  if (entry.daemonExit) {
    const { code, signal } = entry.daemonExit;
    return [CopyState.DaemonDied, `qemu-storage-daemon exited unexpectedly (code ${code ?? '-'}, signal ${signal ?? '-'})`];
  }
  const runtime = entry.served?.runtime;
  if (runtime && entry.copy.metadata.role === CopyRole.Primary && entry.copy.metadata.quiesced !== undefined) {
    const why = entry.copy.metadata.quiesced.forCleanStop
      ? 'stopped cleanly: no client export until its mirror is in sync again (resume-copy)'
      : 'replication quiesced for a modification: no client export until resize-copy';
    return [CopyState.Created, entry.lastError ?? why];
  }
  if (!runtime || !runtime.hasExport) return [CopyState.Created, entry.lastError ?? 'not serving yet'];
  if (entry.copy.metadata.role === CopyRole.Mirror) return [CopyState.Mirroring, undefined];
  switch (runtime.replicaStatus) {
    case ReplicaStatus.InSync:
      return [CopyState.Serving, undefined];
    case ReplicaStatus.Stale:
      return [CopyState.ReplicaStale, entry.replica.staleReason ?? 'the mirror stopped being synchronous'];
    case ReplicaStatus.Syncing:
      return [CopyState.Created, 'replica syncing'];
    case ReplicaStatus.Stopping:
    case ReplicaStatus.Detached:
      return [CopyState.Created, entry.replica.staleReason ?? 'no mirror'];
    default: {
      const unknown: never = runtime.replicaStatus;
      return [CopyState.Created, `replica ${String(unknown)}`];
    }
  }
}

export function endpointOf(entry: CopyEntry, address: string): CopyEndpointResult {
  const port = entry.copy.metadata.nbdPort;
  if (port === undefined) throw new Error(`copy ${entry.copyId} has no NBD port yet`);
  return { copyId: entry.copyId, nbd: { address, port, exportName: exportNameOf(entry) } };
}

/** The copy's row of the state file; `runDir` holds its daemon's pidfile and QMP sockets. */
export function rowOf(entry: CopyEntry, address: string, runDir: string): CopyStateRow {
  const files = daemonFilesOf(runDir, entry.copy.metadata.nodeNames.root);
  const port = entry.copy.metadata.nbdPort;
  return {
    ...reportOf(entry),
    disk: entry.disk.name,
    dataPath: entry.copy.dataPath,
    ...(entry.served?.daemon.pid !== undefined ? { daemonPid: entry.served.daemon.pid } : {}),
    pidFile: files.pidfilePath,
    qmpSocket: files.socketPath,
    adminQmpSocket: files.adminSocketPath,
    ...(port !== undefined ? { nbd: { address, port, exportName: exportNameOf(entry) } } : {}),
  };
}
