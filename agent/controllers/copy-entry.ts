/**
 * One copy this agent holds, as the copies controller and the controllers that work in its
 * queue (mirror, replica faults) share it: desired state (phase, server keys) beside what was
 * observed (daemon, applied keys, replica). Changed only inside the copy's queue.
 */
import { createHash } from 'node:crypto';
import { CopyRole } from '../copies/copy-role';
import { ServedCopy } from '../copies/served-copy';
import { VolumeCopy } from '../copies/volume-copy';
import { ManagedDisk } from '../devices/managed-disk';
import { CopyNotServingError, StaleGenerationError } from '../errors';
import { DaemonExit } from '../qsd/storage-daemon';
import { PskKey } from '../tls/psk-keys-file';
import { AgentLogger } from '../util/logger';
import { CopyPhase, CopyReport } from './copy-state';

/** The mirror controller's part of a copy (replication of a primary). */
export interface ReplicaRecord {
  /** Fingerprint of the mirror target the running job writes to. */
  targetFingerprint?: string;
  /** Why the replica went stale or was abandoned. */
  staleReason?: string;
}

export interface CopyEntry {
  readonly copyId: string;
  readonly copy: VolumeCopy;
  readonly disk: ManagedDisk;
  readonly logger: AgentLogger;
  /** Desired. */
  phase: CopyPhase;
  /** Desired: the NBD server's access list (client key for a primary, replication key for a mirror). */
  serverKeys: PskKey[] | undefined;
  /** Observed. */
  served: ServedCopy | undefined;
  appliedKeysFingerprint: string | undefined;
  daemonExit: DaemonExit | undefined;
  lastError: string | undefined;
  replica: ReplicaRecord;
  reported: CopyReport | undefined;
  /** Set when the copy must serve no client (its primacy was refused); cleared by the next command that serves it. */
  fencedReason?: string;
  /** A promoted mirror adds its client export only after this time (the old primary's lease). */
  exportBlockedUntil?: number;
  /** A mirror that replicates onward (a migration's chain, chain-controller.ts): the copy it fills; its job is the chain's, not a leftover. */
  replicatesOnwardTo?: string;
}

export function newEntry(copy: VolumeCopy, disk: ManagedDisk, phase: CopyPhase, logger: AgentLogger): CopyEntry {
  return {
    copyId: copy.copyId,
    copy,
    disk,
    logger: logger.child({ volumeId: copy.volumeId, copyId: copy.copyId }),
    phase,
    serverKeys: undefined,
    served: undefined,
    appliedKeysFingerprint: undefined,
    daemonExit: undefined,
    lastError: undefined,
    replica: {},
    reported: undefined,
  };
}

/** Forgets the replica (the daemon is gone). */
export function dropReplica(entry: CopyEntry): void {
  entry.replica = {};
}

/**
 * The NBD export name: the volume id for a primary (clients), `<volume>.g<generation>` for a
 * mirror, so a primary of an older generation never finds its mirror again (invariant 2).
 */
export function exportNameOf(entry: CopyEntry): string {
  const { metadata } = entry.copy;
  return metadata.role === CopyRole.Mirror ? `${metadata.volumeId}.g${metadata.generation}` : metadata.volumeId;
}

/** Throws {@link StaleGenerationError} for a command issued at an older generation than the copy's. */
export function assertNotStale(entry: CopyEntry, generation: number): void {
  if (generation < entry.copy.metadata.generation) throw new StaleGenerationError(entry.copyId, generation, entry.copy.metadata.generation);
}

export function keysFingerprint(keys: readonly PskKey[]): string {
  const text = keys
    .map((key) => `${key.identity}:${key.keyHex.toLowerCase()}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/** Why a copy cannot be worked on as served: its daemon died, it is held after a restart, or `otherwise`. */
export function notServingReason(entry: CopyEntry, otherwise = 'not served'): string {
  return entry.daemonExit ? 'daemon-died' : entry.phase === CopyPhase.Held ? 'held' : otherwise;
}

/** The copy's running daemon and graph; throws {@link CopyNotServingError} for `operation` when it is not served. */
export function requireServed(entry: CopyEntry, operation: string): ServedCopy {
  if (entry.phase !== CopyPhase.Served || !entry.served) throw new CopyNotServingError(entry.copyId, operation, notServingReason(entry));
  return entry.served;
}
