/**
 * The replica-faults controller: what a primary does when its mirror stops taking writes
 * (docs/replication-safety.md, invariants 1, 4 and 6). QEMU 7.2's write-blocking mirror never
 * fails a client write: when the mirror's connection breaks, its NBD client holds the write
 * (reconnect delay, {@link MIRROR_HOLD_SECONDS}) and no QMP event says so. So this controller:
 *
 * 1. **detects**: while a served primary replicates, it probes the mirror's export (the same
 *    NBD handshake with the replication key as `startMirror`, from the daemon's namespace) every
 *    {@link REPLICA_PROBE_INTERVAL_MS}; {@link REPLICA_PROBE_FAILURES} failures in a row, or a
 *    job event that ends the mirror (`replica-stale`), are a fault. Detection takes at most
 *    failures × (interval + timeout);
 * 2. **holds**: it cuts the daemon's connections to the mirror (`ss -K`), so a black-holed link
 *    turns into a reconnect that holds writes, not one QEMU waits on inside TCP;
 * 3. **asks for consent**: `POST /hosts/{id}/replica-faults`; the control plane marks the mirror
 *    out of date and advances the generation in one conditional write;
 * 4. **continues alone**: with that answer it records the new generation, stops guarding the
 *    lease (nothing can be promoted over this copy now) and force-cancels the mirror job, which
 *    releases the held writes on this copy. The control plane then builds a new mirror;
 * 5. **or fences**: a 409 (this copy is no longer the primary, or another refusal) cuts every
 *    client off for good; no answer within {@link CONSENT_DEADLINE_MS} cuts clients off while it
 *    keeps asking ({@link CONSENT_RETRY}) and gives them the export back once consent comes.
 *
 * A quiesced primary (quiesce-replication, copy-modifications.ts) has no mirror on purpose:
 * when its quiesce finishes this controller stops watching it and releases its lease before the
 * command answers (the mirror's export then goes away for its resize, and the lease guard must
 * not end this daemon for it), and a quiesced copy's missing mirror is never a fault. Watching
 * and the lease come back when its replica syncs again (resize-copy).
 *
 * Events: `'fault-resolved'` {@link ReplicaFaultOutcome} at the end of each fault.
 */
import { EventEmitter } from 'node:events';
import type { ReplicaFaultAnswer, ReplicaFaultReport } from '../control-plane/control-plane-client';
import { CopyRole } from '../copies/copy-role';
import { ReplicaStaleEvent, ReplicaStatusChange } from '../copies/mirror-job';
import { ReplicaStatus } from '../copies/replica-status';
import { ServedCopy } from '../copies/served-copy';
import { ControlPlaneRequestError } from '../errors';
import { LeaseBook } from '../lease/lease-file';
import { BackoffPolicy, backoffDelayMs, sleep } from '../util/backoff';
import { CopyController } from './copy-controller';
import { CopyEntry } from './copy-entry';
import { isQuiesced } from './copy-modifications';

export const REPLICA_PROBE_INTERVAL_MS = 1_000;
export const REPLICA_PROBE_TIMEOUT_MS = 1_000;
export const REPLICA_PROBE_FAILURES = 2;
/** Without consent this long after the fault, clients are cut off (the lease guard would end the daemon soon after). */
export const CONSENT_DEADLINE_MS = 6_000;
/** Timeout of one consent call. */
export const CONSENT_CALL_TIMEOUT_MS = 4_000;
/** Consent calls: 250 ms doubling to 2 s apart, for about 10 minutes. */
export const CONSENT_RETRY: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 300 };

export interface ReplicaFaultControllerOptions {
  copies: CopyController;
  client: { reportReplicaFault(request: ReplicaFaultReport, timeoutMs: number): Promise<ReplicaFaultAnswer> };
  lease: LeaseBook;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  probeFailures?: number;
  consentDeadlineMs?: number;
}

export interface ReplicaFaultOutcome {
  copyId: string;
  outcome: 'continued-alone' | 'fenced' | 'gone';
  reason: string;
  /** From the fault's detection to the release of held writes (or to the fence). */
  holdMs: number;
  generation: number;
  clientsCutOff: boolean;
}

interface Watch {
  readonly served: ServedCopy;
  readonly abort: AbortController;
}

export class ReplicaFaultController extends EventEmitter {
  private readonly watches = new Map<string, Watch>();
  private readonly faulting = new Set<string>();
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly probeFailures: number;
  private readonly consentDeadlineMs: number;

  constructor(private readonly options: ReplicaFaultControllerOptions) {
    super();
    this.probeIntervalMs = options.probeIntervalMs ?? REPLICA_PROBE_INTERVAL_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? REPLICA_PROBE_TIMEOUT_MS;
    this.probeFailures = options.probeFailures ?? REPLICA_PROBE_FAILURES;
    this.consentDeadlineMs = options.consentDeadlineMs ?? CONSENT_DEADLINE_MS;
    options.copies.on('replica-status', (entry: CopyEntry, change: ReplicaStatusChange) => this.onReplicaStatus(entry, change));
    options.copies.on('replica-stale', (entry: CopyEntry, event: ReplicaStaleEvent) => {
      if (entry.served) void this.fault(entry, entry.served, `the mirror job ended (${event.event}): ${event.reason}`);
    });
    options.copies.on('removed', (copyId: string) => this.unwatch(copyId));
    options.copies.onQuiesced(async (entry) => {
      this.unwatch(entry.copyId);
      await this.options.lease.release(entry.copyId);
      entry.logger.info('replication quiesced: mirror not watched, lease released');
    });
  }

  /** Stops every probe loop (the agent stops). */
  stop(): void {
    for (const copyId of [...this.watches.keys()]) this.unwatch(copyId);
  }

  private onReplicaStatus(entry: CopyEntry, change: ReplicaStatusChange): void {
    const served = entry.served;
    if (!served || entry.copy.metadata.role !== CopyRole.Primary || this.faulting.has(entry.copyId)) return;
    if (change.to === ReplicaStatus.Syncing || change.to === ReplicaStatus.InSync) this.watch(entry, served);
    if (change.to === ReplicaStatus.InSync) {
      void this.guardLease(entry, served).catch((error: Error) => entry.logger.error('cannot guard the lease', { error: error.message }));
    } else if (change.to !== ReplicaStatus.Syncing) {
      this.unwatch(entry.copyId);
      void this.options.lease.release(entry.copyId).catch((error: Error) => entry.logger.error('cannot release the lease', { error: error.message }));
    }
  }

  /** From READY on, the mirror can be promoted over this copy: the lease guard must be able to end it. */
  private async guardLease(entry: CopyEntry, served: ServedCopy): Promise<void> {
    const probe = served.runtime.mirrorProbeCommand();
    const pid = served.daemon.pid;
    if (!probe || pid === undefined) return;
    await this.options.lease.guard({
      copyId: entry.copyId,
      volumeId: entry.copy.volumeId,
      generation: entry.copy.metadata.generation,
      daemonPid: pid,
      daemonMarker: entry.copyId,
      probe,
    });
    entry.logger.info('lease guarded by the mirror', { generation: entry.copy.metadata.generation, leaseMs: this.options.lease.leaseMs });
  }

  private watch(entry: CopyEntry, served: ServedCopy): void {
    const current = this.watches.get(entry.copyId);
    if (current?.served === served && !current.abort.signal.aborted) return;
    current?.abort.abort();
    const watch: Watch = { served, abort: new AbortController() };
    this.watches.set(entry.copyId, watch);
    void this.probeLoop(entry, watch).catch((error: Error) => entry.logger.error('mirror probe loop ended with an unexpected error', { error: error.message }));
  }

  private unwatch(copyId: string): void {
    this.watches.get(copyId)?.abort.abort();
    this.watches.delete(copyId);
  }

  private async probeLoop(entry: CopyEntry, watch: Watch): Promise<void> {
    const { served, abort } = watch;
    let failures = 0;
    let lastError = '';
    while (!abort.signal.aborted && entry.served === served) {
      await sleep(this.probeIntervalMs, abort.signal);
      const status = served.runtime.replicaStatus;
      if (abort.signal.aborted || entry.served !== served || (status !== ReplicaStatus.InSync && status !== ReplicaStatus.Syncing)) break;
      try {
        await served.runtime.probeLastTarget(this.probeTimeoutMs);
        failures = 0;
      } catch (error) {
        failures += 1;
        lastError = (error as Error).message;
        entry.logger.warn('mirror target does not answer', { failures, of: this.probeFailures, error: lastError });
        if (failures >= this.probeFailures) {
          void this.fault(entry, served, `the mirror does not answer (${failures} probes in a row): ${lastError}`);
          break;
        }
      }
    }
    if (this.watches.get(entry.copyId) === watch) this.watches.delete(entry.copyId);
  }

  /** Steps 2–5 of the class comment; at most one per copy at a time. */
  private async fault(entry: CopyEntry, served: ServedCopy, reason: string): Promise<void> {
    if (this.faulting.has(entry.copyId) || entry.copy.metadata.role !== CopyRole.Primary) return;
    if (isQuiesced(entry) && served.runtime.replicaStatus === ReplicaStatus.Detached) return; // no mirror on purpose
    this.faulting.add(entry.copyId);
    this.unwatch(entry.copyId);
    const started = Date.now();
    const logger = entry.logger.child({ fault: 'replica' });
    const runtime = served.runtime;
    logger.error('mirror fault: client writes are held until the control plane marks the mirror out of date', { reason, generation: entry.copy.metadata.generation });
    let cutOff = false;
    const end = (outcome: ReplicaFaultOutcome['outcome']): void => {
      const result: ReplicaFaultOutcome = { copyId: entry.copyId, outcome, reason, holdMs: Date.now() - started, generation: entry.copy.metadata.generation, clientsCutOff: cutOff };
      logger.warn('mirror fault handled', { ...result });
      this.emit('fault-resolved', result);
    };
    try {
      await runtime.cutPeerConnections().catch((error: Error) => logger.warn('could not cut the mirror connections', { error: error.message }));
      for (let attempt = 1; ; attempt++) {
        if (entry.served !== served) return end('gone');
        try {
          const answer = await this.options.client.reportReplicaFault(
            { volumeId: entry.copy.volumeId, copyId: entry.copyId, generation: entry.copy.metadata.generation, reason },
            CONSENT_CALL_TIMEOUT_MS,
          );
          await this.continueAlone(entry, served, answer, reason, cutOff);
          return end('continued-alone');
        } catch (error) {
          if (error instanceof ControlPlaneRequestError && !error.retryable) {
            logger.error('the control plane refused: this copy must not continue alone; clients are cut off', { error: error.message });
            await this.fence(entry, served, `fenced: ${error.message}`);
            cutOff = true;
            return end('fenced');
          }
          logger.warn('no consent yet', { attempt, error: (error as Error).message, heldForMs: Date.now() - started });
          if (!cutOff && Date.now() - started >= this.consentDeadlineMs) {
            logger.error('no consent in time: clients are cut off until it comes', { deadlineMs: this.consentDeadlineMs });
            await runtime.cutOffClients();
            await this.options.lease.release(entry.copyId);
            cutOff = true;
          }
          if (attempt >= CONSENT_RETRY.maxAttempts) {
            await this.fence(entry, served, `fenced: no consent from the control plane after ${attempt} attempts`);
            return end('fenced');
          }
          await sleep(backoffDelayMs(CONSENT_RETRY, attempt));
        }
      }
    } finally {
      this.faulting.delete(entry.copyId);
      this.options.copies.updateStatus(entry);
    }
  }

  private async continueAlone(entry: CopyEntry, served: ServedCopy, answer: ReplicaFaultAnswer, reason: string, cutOff: boolean): Promise<void> {
    if (answer.generation > entry.copy.metadata.generation) await entry.copy.updateMetadata({ generation: answer.generation });
    await this.options.lease.release(entry.copyId);
    await served.runtime.abandonMirror(`${reason}; out of date at generation ${answer.generation}`);
    entry.replica = { staleReason: `mirror out of date at generation ${answer.generation}: ${reason}` };
    if (cutOff) {
      await served.runtime.waitForExportGone();
      await this.options.copies.restoreExport(entry);
    }
  }

  private async fence(entry: CopyEntry, served: ServedCopy, reason: string): Promise<void> {
    entry.fencedReason = reason;
    await served.runtime.cutOffClients();
    await this.options.lease.release(entry.copyId);
  }
}
